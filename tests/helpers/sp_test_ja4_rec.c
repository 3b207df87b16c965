/* SPDX-License-Identifier: BSD-3-Clause */
/* The record and flow test double of sp_test_ja4_rec.h. */
#include <stdio.h>
#include <string.h>

#include "sp_test_ja4_rec.h"

void
sp_test_rec_reset(struct sp_plugin_record *r, const struct sp_plugin_column *cols,
		  unsigned int ncols)
{
	memset(r, 0, sizeof(*r));
	r->cols = cols;
	r->ncols = ncols < SP_TEST_REC_COLS ? ncols : SP_TEST_REC_COLS;
}

static struct sp_test_rec_value *
col(struct sp_plugin_record *r, unsigned int c, enum sp_plugin_type t)
{
	if (c >= r->ncols || r->cols[c].type != t) {
		r->ignored++;
		return NULL;
	}
	return &r->v[c];
}

void
sp_plugin_set_int(struct sp_plugin_record *r, unsigned int c, int64_t v)
{
	struct sp_test_rec_value *x = col(r, c, SP_PLUGIN_INT);

	if (x != NULL) {
		x->set = true;
		x->i = v;
	}
}

void
sp_plugin_set_uint(struct sp_plugin_record *r, unsigned int c, uint64_t v)
{
	struct sp_test_rec_value *x = col(r, c, SP_PLUGIN_UINT);

	if (x != NULL) {
		x->set = true;
		x->u = v;
	}
}

void
sp_plugin_set_double(struct sp_plugin_record *r, unsigned int c, double v)
{
	struct sp_test_rec_value *x = col(r, c, SP_PLUGIN_DOUBLE);

	if (x != NULL) {
		x->set = true;
		x->d = v;
	}
}

void
sp_plugin_set_string(struct sp_plugin_record *r, unsigned int c, const char *s, size_t len)
{
	struct sp_test_rec_value *x = col(r, c, SP_PLUGIN_STRING);
	size_t max;

	if (x == NULL)
		return;
	max = r->cols[c].max < SP_TEST_REC_TEXT - 1 ? r->cols[c].max : SP_TEST_REC_TEXT - 1;
	if (len > max) {
		len = max;
		r->cut++;
	}
	memcpy(x->text, s, len);
	x->text[len] = '\0';
	x->len = len;
	x->set = true;
}

/* Appends ", " then the element's repr to a list's text (the brackets come around it). */
static void
list_add(struct sp_plugin_record *r, struct sp_test_rec_value *x, unsigned int c,
	 const char *elem, size_t n)
{
	if (x->elems >= r->cols[c].max || x->len + n + 4 >= SP_TEST_REC_TEXT) {
		r->cut++;
		return;
	}
	if (!x->set) {
		x->text[0] = '[';
		x->len = 1;
	} else {
		x->len--;	/* the closing bracket */
		memcpy(x->text + x->len, ", ", 2);
		x->len += 2;
	}
	memcpy(x->text + x->len, elem, n);
	x->len += n;
	x->text[x->len++] = ']';
	x->text[x->len] = '\0';
	x->set = true;
	x->elems++;
}

void
sp_plugin_list_add_int(struct sp_plugin_record *r, unsigned int c, int64_t v)
{
	struct sp_test_rec_value *x = col(r, c, SP_PLUGIN_INT_LIST);
	char t[24];

	if (x != NULL)
		list_add(r, x, c, t, (size_t)snprintf(t, sizeof(t), "%lld", (long long)v));
}

void
sp_plugin_list_add_string(struct sp_plugin_record *r, unsigned int c, const char *s, size_t len)
{
	struct sp_test_rec_value *x = col(r, c, SP_PLUGIN_STRING_LIST);
	char t[SP_TEST_REC_TEXT];

	if (x == NULL)
		return;
	if (len > r->cols[c].max_str) {
		len = r->cols[c].max_str;
		r->cut++;
	}
	if (len > sizeof(t) - 3)
		len = sizeof(t) - 3;
	t[0] = '\'';
	memcpy(t + 1, s, len);
	t[len + 1] = '\'';
	list_add(r, x, c, t, len + 2);
}

void
sp_plugin_set_none(struct sp_plugin_record *r, unsigned int c)
{
	if (c >= r->ncols) {
		r->ignored++;
		return;
	}
	memset(&r->v[c], 0, sizeof(r->v[c]));
}

uint64_t
sp_plugin_flow_packets(const struct sp_plugin_flow *f, enum sp_plugin_scope s)
{
	return f->packets[s];
}

uint64_t
sp_plugin_flow_bytes(const struct sp_plugin_flow *f, enum sp_plugin_scope s)
{
	return f->bytes[s];
}

uint64_t
sp_plugin_flow_first_seen_ms(const struct sp_plugin_flow *f, enum sp_plugin_scope s)
{
	return f->first_seen_ms[s];
}

uint64_t
sp_plugin_flow_last_seen_ms(const struct sp_plugin_flow *f, enum sp_plugin_scope s)
{
	return f->last_seen_ms[s];
}

const uint8_t *
sp_plugin_flow_src_ip(const struct sp_plugin_flow *f)
{
	return f->src_ip;
}

const uint8_t *
sp_plugin_flow_dst_ip(const struct sp_plugin_flow *f)
{
	return f->dst_ip;
}

uint16_t
sp_plugin_flow_src_port(const struct sp_plugin_flow *f)
{
	return f->src_port;
}

uint16_t
sp_plugin_flow_dst_port(const struct sp_plugin_flow *f)
{
	return f->dst_port;
}

uint8_t
sp_plugin_flow_protocol(const struct sp_plugin_flow *f)
{
	return f->protocol;
}

uint8_t
sp_plugin_flow_ip_version(const struct sp_plugin_flow *f)
{
	return f->ip_version;
}

uint16_t
sp_plugin_flow_vlan_id(const struct sp_plugin_flow *f)
{
	return f->vlan_id;
}
