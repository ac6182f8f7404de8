/* The error table's message and name functions, generated from SLUICE_ERR_MAP. */
#include "core/common.h"

const char *err_str(int err)
{
	switch (err) {
	case ERR_OK:
		return "success";
#define X(name, msg)     \
	case ERR_##name: \
		return msg;
		SLUICE_ERR_MAP(X)
#undef X
	default:
		return "unknown error";
	}
}

const char *err_name(int err)
{
	switch (err) {
	case ERR_OK:
		return "OK";
#define X(name, msg)     \
	case ERR_##name: \
		return #name;
		SLUICE_ERR_MAP(X)
#undef X
	default:
		return "UNKNOWN";
	}
}
