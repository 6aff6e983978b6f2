/*
 * feed_fields: validation of the register feed's resident and card objects
 * (PUT /v1/residents, PUT /v1/cards, POST /v1/residents:import). Every field
 * is checked before the database is touched, and all errors are answered
 * at once (422 invalid-field, "fields").
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/feed/feed_int.h"
#include "ca/charset.h"
#include "ca/policy.h"
#include "common/clock.h"

/* ---------------------------------------------------------------- validation */

enum ftype {
	FT_TEXT,	/* string, min..max characters (UTF-8 code points) */
	FT_DIGITS,	/* string of exactly max ASCII digits */
	FT_DATE,	/* "YYYY-MM-DD", a real date */
	FT_BIRTH,	/* FT_DATE, 1868-01-01 .. today (JST) */
	FT_ENUM,	/* one of values */
	FT_BOOL
};

struct fspec {
	const char		*name;
	enum ftype		 type;
	int			 required;
	int			 min, max;
	const char *const	*values;	/* FT_ENUM, NULL-terminated */
	const char		*dflt;		/* default when absent or null (FT_TEXT, FT_ENUM, FT_BOOL "false") */
	int			 r20;		/* must be representable (substitute forms, R20) */
};

static const char *const sexes[] = { "1", "2", "9", NULL };	/* JIS X 0303 (R25 .3) */
static const char *const resident_statuses[] = { "registered", "removed", "deceased", NULL };
static const char *const card_kinds[] = { "mynumber", "juki", NULL };
static const char *const card_statuses[] = { "active", "lost", "suspended", "returned",
	"reissued", "expired", NULL };

/* The lengths are the CHECKs of db/migrations/0001_schema.sql (residents). */
static const struct fspec resident_fields[] = {
	{ "municipality_code", FT_DIGITS, 1, 6, 6, NULL, NULL, 0 },
	{ "family_name", FT_TEXT, 1, 1, 64, NULL, NULL, 0 },
	{ "given_name", FT_TEXT, 0, 0, 64, NULL, "", 0 },
	{ "family_name_kana", FT_TEXT, 0, 1, 128, NULL, NULL, 0 },
	{ "given_name_kana", FT_TEXT, 0, 0, 128, NULL, NULL, 0 },
	{ "former_surname", FT_TEXT, 0, 1, 64, NULL, NULL, 0 },
	{ "alias", FT_TEXT, 0, 1, 128, NULL, NULL, 0 },
	{ "family_name_substitute", FT_TEXT, 0, 1, 64, NULL, NULL, 1 },
	{ "given_name_substitute", FT_TEXT, 0, 0, 64, NULL, NULL, 1 },
	{ "address_substitute", FT_TEXT, 0, 1, 200, NULL, NULL, 1 },
	{ "birth_date", FT_BIRTH, 1, 0, 0, NULL, NULL, 0 },
	{ "sex", FT_ENUM, 1, 0, 0, sexes, NULL, 0 },
	{ "address", FT_TEXT, 1, 1, 200, NULL, NULL, 0 },	/* R25 .5 */
	{ "adult_ward", FT_BOOL, 0, 0, 0, NULL, "false", 0 },
	{ "status", FT_ENUM, 0, 0, 0, resident_statuses, "registered", 0 },
};
#define NRESIDENT_FIELDS	(sizeof(resident_fields) / sizeof(resident_fields[0]))

/* cards: the basic four as recorded on the card (card_* columns, R3). */
static const struct fspec card_fields[] = {
	{ "resident_code", FT_DIGITS, 1, 11, 11, NULL, NULL, 0 },
	{ "kind", FT_ENUM, 1, 0, 0, card_kinds, NULL, 0 },
	{ "issued_on", FT_DATE, 1, 0, 0, NULL, NULL, 0 },
	{ "expires_on", FT_DATE, 1, 0, 0, NULL, NULL, 0 },
	{ "status", FT_ENUM, 0, 0, 0, card_statuses, "active", 0 },
	{ "family_name", FT_TEXT, 1, 1, 64, NULL, NULL, 0 },
	{ "given_name", FT_TEXT, 0, 0, 64, NULL, "", 0 },
	{ "former_surname", FT_TEXT, 0, 1, 64, NULL, NULL, 0 },
	{ "alias", FT_TEXT, 0, 1, 128, NULL, NULL, 0 },
	{ "birth_date", FT_BIRTH, 1, 0, 0, NULL, NULL, 0 },
	{ "sex", FT_ENUM, 1, 0, 0, sexes, NULL, 0 },
	{ "address", FT_TEXT, 1, 1, 200, NULL, NULL, 0 },
};
#define NCARD_FIELDS	(sizeof(card_fields) / sizeof(card_fields[0]))

int
feed_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return s[n] == '\0';
}

static void
field_error(json_t *errors, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
field_error(json_t *errors, const char *field, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (json_object_get(errors, field) != NULL)
		return;		/* the first problem of a field is the one to fix */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_set_new(errors, field, json_string(msg));
}

static const struct fspec *
spec_find(const struct fspec *specs, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(specs[i].name, name) == 0)
			return &specs[i];
	return NULL;
}

/* A C0 control character or DEL: never part of a name or an address. */
static int
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

static void
check_text(const struct fspec *f, const char *s, json_t *errors)
{
	char bad[64];
	long n = charset_utf8_len(s);

	if (n < 0) {
		field_error(errors, f->name, "not valid UTF-8");
		return;
	}
	if (n < f->min || n > f->max) {
		if (f->min == 0)
			field_error(errors, f->name, "at most %d characters", f->max);
		else
			field_error(errors, f->name, "must be %d to %d characters", f->min, f->max);
		return;
	}
	if (has_control(s)) {
		field_error(errors, f->name, "must not contain control characters");
		return;
	}
	/*
	 * R20: a substitute form exists to be put in a certificate when the
	 * original is not representable; one that is not representable itself
	 * would only fail later, at the counter.
	 */
	if (f->r20 && charset_r20_representable(s, bad, sizeof(bad)) == 0)
		field_error(errors, f->name,
		    "not representable in JIS X 0208/0212 (R20): %s", bad);
}

static void
check_date(const struct fspec *f, const char *s, struct jpdate today, json_t *errors)
{
	static const struct jpdate meiji = { 1868, 1, 1 };
	struct jpdate d;

	if (jpdate_parse(s, &d) != 0) {
		field_error(errors, f->name, "must be a date YYYY-MM-DD");
		return;
	}
	if (f->type != FT_BIRTH)
		return;
	if (jpdate_cmp(d, meiji) < 0)
		field_error(errors, f->name, "must not be before 1868-01-01");
	else if (jpdate_cmp(d, today) > 0)
		field_error(errors, f->name, "must not be in the future");
}

static void
check_enum(const struct fspec *f, const char *s, json_t *errors)
{
	char list[128] = "";
	size_t i;

	for (i = 0; f->values[i] != NULL; i++)
		if (strcmp(s, f->values[i]) == 0)
			return;
	for (i = 0; f->values[i] != NULL; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
		    i ? ", " : "", f->values[i]);
	field_error(errors, f->name, "must be one of %s", list);
}

/*
 * Validate obj against specs into row (every spec'd field set: the value,
 * its default, or null). Keys of obj not in specs and not named in skip are
 * "unknown field".
 */
static void
validate(json_t *obj, const struct fspec *specs, size_t n, const char *skip,
    struct jpdate today, json_t *errors, json_t *row)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(obj, key, v) {
		if (spec_find(specs, n, key) == NULL && (skip == NULL || strcmp(key, skip) != 0))
			field_error(errors, key, "unknown field");
	}
	for (i = 0; i < n; i++) {
		const struct fspec *f = &specs[i];

		v = json_object_get(obj, f->name);
		if (v == NULL || json_is_null(v)) {
			if (f->required)
				field_error(errors, f->name, "required");
			else if (f->dflt == NULL)
				json_object_set_new(row, f->name, json_null());
			else if (f->type == FT_BOOL)
				json_object_set_new(row, f->name, json_false());
			else
				json_object_set_new(row, f->name, json_string(f->dflt));
			continue;
		}
		if (f->type == FT_BOOL) {
			if (!json_is_boolean(v))
				field_error(errors, f->name, "must be true or false");
			else
				json_object_set(row, f->name, v);
			continue;
		}
		if (!json_is_string(v)) {
			field_error(errors, f->name, "must be a string");
			continue;
		}
		switch (f->type) {
		case FT_TEXT:
			check_text(f, json_string_value(v), errors);
			break;
		case FT_DIGITS:
			if (!feed_digits(json_string_value(v), (size_t)f->max))
				field_error(errors, f->name, "must be %d digits", f->max);
			break;
		case FT_DATE:
		case FT_BIRTH:
			check_date(f, json_string_value(v), today, errors);
			break;
		case FT_ENUM:
			check_enum(f, json_string_value(v), errors);
			break;
		case FT_BOOL:
			break;
		}
		json_object_set(row, f->name, v);
	}
}

/*
 * A key naming the path parameter may repeat it in the body (so one object
 * serves PUT and import alike), but must then be equal.
 */
static void
check_path_key(json_t *obj, const char *key, const char *path_value, json_t *errors)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v))
		return;
	if (!json_is_string(v) || strcmp(json_string_value(v), path_value) != 0)
		field_error(errors, key, "does not match the path");
}

json_t *
feed_resident_row(json_t *obj, const char *code, struct jpdate today, json_t *errors)
{
	json_t *row = json_object();
	size_t before = json_object_size(errors);
	json_t *v;

	if (row == NULL)
		abort();
	if (code != NULL) {
		if (!feed_digits(code, 11))
			field_error(errors, "resident_code", "must be 11 digits");
		else
			check_path_key(obj, "resident_code", code, errors);
		json_object_set_new(row, "resident_code", json_string(code));
	} else if ((v = json_object_get(obj, "resident_code")) == NULL || json_is_null(v))
		field_error(errors, "resident_code", "required");
	else if (!json_is_string(v))
		field_error(errors, "resident_code", "must be a string");
	else if (!feed_digits(json_string_value(v), 11))
		field_error(errors, "resident_code", "must be 11 digits");
	else
		json_object_set(row, "resident_code", v);
	validate(obj, resident_fields, NRESIDENT_FIELDS, "resident_code", today, errors, row);
	if (json_object_size(errors) != before) {
		json_decref(row);
		return NULL;
	}
	return row;
}



int
feed_card_number_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 1 || n > 16)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z')))
			return 0;
	return 1;
}

json_t *
feed_card_row(json_t *obj, const char *number, struct jpdate today, json_t *errors)
{
	json_t *row = json_object();
	const char *kind, *is, *ex;
	struct jpdate di, de;

	if (row == NULL)
		abort();
	check_path_key(obj, "card_number", number, errors);
	json_object_set_new(row, "card_number", json_string(number));
	validate(obj, card_fields, NCARD_FIELDS, "card_number", today, errors, row);

	kind = json_string_value(json_object_get(row, "kind"));
	if (kind != NULL && strcmp(kind, "mynumber") == 0 && !feed_digits(number, 12))
		field_error(errors, "card_number", "a My Number card number is 12 digits");
	else if (kind != NULL && strcmp(kind, "juki") == 0 && !feed_card_number_ok(number))
		field_error(errors, "card_number",
		    "a Juki card number is 1 to 16 characters of 0-9 and A-Z");
	else if (kind == NULL && !feed_digits(number, 12) && !feed_card_number_ok(number))
		field_error(errors, "card_number", "not a card number");

	is = json_string_value(json_object_get(row, "issued_on"));
	ex = json_string_value(json_object_get(row, "expires_on"));
	if (is != NULL && ex != NULL && jpdate_parse(is, &di) == 0 &&
	    jpdate_parse(ex, &de) == 0 && jpdate_cmp(de, di) <= 0)
		field_error(errors, "expires_on", "must be after issued_on");
	if (json_object_size(errors) != 0) {
		json_decref(row);
		return NULL;
	}
	return row;
}
