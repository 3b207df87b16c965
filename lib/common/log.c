/* SPDX-License-Identifier: BSD-3-Clause */
/* Log type names become "sp.<suffix>". */
#define RTE_LOG_DEFAULT_LOGTYPE sp
#include "sp_common.h"

RTE_LOG_REGISTER_SUFFIX(sp_logtype_app, app, NOTICE);
RTE_LOG_REGISTER_SUFFIX(sp_logtype_capture, capture, NOTICE);
RTE_LOG_REGISTER_SUFFIX(sp_logtype_flow, flow, NOTICE);
RTE_LOG_REGISTER_SUFFIX(sp_logtype_export, export, NOTICE);
