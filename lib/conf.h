/*
 * lib/conf.h — main.cf: Postfix syntax, a typed parameter registry, and
 * `$name` / `${name}` expansion.
 *
 * Syntax (as Postfix): `name = value`; a line starting with white space
 * continues the previous one; `#` starts a comment when it is the first
 * non-blank character of a line; blank lines are ignored.  Values are
 * expanded lazily: `$name`, `${name}`, `${name?text}` (text when name is
 * non-empty), `${name:text}` (text when name is empty), `$$` = `$`.
 * Unknown names expand to the empty string.
 *
 * Each program registers the parameter tables it uses (mail_params_common
 * plus its own); conf_bind() expands every registered parameter, converts it
 * to its type and stores it in the bound variable.  A value that does not
 * convert is reported as `FILE, line N: parameter NAME: expected ...`.
 * A name set in main.cf but registered by nobody is "unknown"; `tegami
 * check` registers every table and reports those.
 *
 * Errors are returned (0 / -1 with the reason in a caller's strbuf).
 */
#ifndef TEGAMI_CONF_H
#define TEGAMI_CONF_H

#include <stddef.h>
#include "strbuf.h"

enum conf_type {
	CONF_STR,	/* char *var, malloc'd expanded string ("" when empty) */
	CONF_INT,	/* long var: decimal integer, optional min/max */
	CONF_BOOL,	/* int var: yes/no/true/false/1/0 (case-insensitive) */
	CONF_TIME,	/* long var, seconds: "N" or "N" + s/m/h/d/w; bare number
			 * uses the unit in `unit` ('s' when 0) */
};

struct conf_param {
	const char *name;
	enum conf_type type;
	const char *defval;		/* default text; may contain $name */
	const char *(*default_fn)(void);/* computed default (myhostname); wins over defval */
	void	   *var;		/* char ** | long * | int * */
	long	    min, max;		/* INT/TIME bounds when min < max */
	char	    unit;		/* CONF_TIME default unit */
};
#define CONF_TABLE_END { NULL, CONF_STR, NULL, NULL, NULL, 0, 0, 0 }

/* Add a table (terminated by CONF_TABLE_END) to the registry. Tables are
 * static and must outlive the registry. Registering the same table twice
 * is harmless. */
void	conf_register(const struct conf_param *table);

/* Read a main.cf into the raw settings (replacing earlier file settings).
 * Syntax errors: -1 with "FILE, line N: ..." in err. A missing file is an
 * error. */
int	conf_read_file(const char *path, struct strbuf *err);
/* The same for main.cf text in memory (len bytes; `name` stands for the
 * file in messages and in conf_origin). Used by tests and the fuzzer. */
int	conf_read_text(const char *name, const char *text, size_t len,
	    struct strbuf *err);

/* Apply "name=value" as an override (master.cf -o, command line). An
 * override wins over the file. -1 when the text has no '=' or a bad name. */
int	conf_set_override(const char *name_eq_value, struct strbuf *err);

/* Expand, convert and store every registered parameter. -1 on the first
 * bad value (err names file, line, parameter and what was expected). */
int	conf_bind(struct strbuf *err);

/* The raw (unexpanded) text of a parameter as set by file or override,
 * or NULL when it is not set. */
const char *conf_raw(const char *name);
/* Where a parameter was set: file name and line (override: "-o", 0).
 * Returns 0 when set, -1 when not. */
int	conf_origin(const char *name, const char **file, int *line);
/* The expanded value of any parameter: set value, else registered default,
 * else "". The returned string is owned by the registry and stays valid
 * until the next conf_read_file/conf_set_override/conf_reset. */
const char *conf_value(const char *name);
/* Expand $name references in text; returns a malloc'd string. */
char   *conf_expand(const char *text);
/* The same, with errors (loop, nesting too deep, missing '}', result too
 * long) reported: 0 with a malloc'd *result, or -1 with the reason in err
 * (err may be NULL). conf_expand logs a warning and returns "" instead. */
int	conf_expand_checked(const char *text, char **result, struct strbuf *err);
/* Is this name in some registered table? */
const struct conf_param *conf_lookup_param(const char *name);
/* The default text of a registered parameter (computed defaults included). */
const char *conf_default_text(const struct conf_param *p);

/* Visit parameters set in main.cf that no registered table knows. */
void	conf_foreach_unknown(void (*fn)(const char *name, const char *file,
	    int line, void *ctx), void *ctx);
/* Visit every registered parameter in name order. `raw` is the set value
 * or NULL when the default applies. */
void	conf_foreach_param(void (*fn)(const struct conf_param *p,
	    const char *raw, void *ctx), void *ctx);

/* Set name = value in a main.cf file in place (postconf -e): an existing
 * setting (with its continuation lines) is replaced, otherwise appended.
 * Written to a temporary file, fsync'd and renamed. */
int	conf_edit_file(const char *path, const char *name, const char *value,
	    struct strbuf *err);

/* Forget all settings and registrations (reload, tests). Bound string
 * variables are freed and set to NULL. */
void	conf_reset(void);

/* Split a list value on commas and white space. Returns a NULL-terminated
 * malloc'd array of malloc'd strings; *count may be NULL. */
char  **conf_split_list(const char *value, size_t *count);
void	conf_free_list(char **list);
/* Case-insensitive membership test of word in a list value. */
int	conf_list_contains(const char *list_value, const char *word);

#endif
