/* SPDX-License-Identifier: BSD-3-Clause */
/* What every exporter shares, whatever its format. */
#include "export_private.h"

int
sp_export_close(struct sp_exporter *e)
{
	if (e == NULL || e->ops->close == NULL)
		return 0;
	return e->ops->close(e);
}
