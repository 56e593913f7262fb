/*
 * sg_options.h -- key=value directive options: the value parsers, and
 * parsing one "name=value" word through a table of {name, parser, offset}.
 * The tables live beside the records they fill (sg_group.c for
 * SwiftGateDaemonProcess, sg_config.c for SwiftGateScriptAlias and the
 * access-check scripts); this file knows no record.
 */
#ifndef SG_OPTIONS_H
#define SG_OPTIONS_H

#include "httpd.h"
#include "http_config.h"

/* A value parser: reads value (allocated from cmd->pool, so it may be kept)
 * and stores it into the record field at field. Returns NULL, or a phrase
 * saying what the value must be ("must be On or Off"), which
 * sg_options_parse puts after the option's name. */
typedef const char *(*sg_option_parser)(cmd_parms *cmd, const char *value,
                                        void *field);

/* One option of a record: its name, its parser, its field's offset. A
 * table ends with a NULL name. */
typedef struct sg_option {
    const char *name;
    sg_option_parser parse;
    apr_size_t offset;
} sg_option;

/*
 * Parses a directive's option words into a record, in order.
 * @param cmd the directive being read; its name starts every error
 * @param table the record's options, ended by a NULL name
 * @param rec the record the offsets are taken from
 * @param argc how many words
 * @param argv the words, each "name=value"
 * @return NULL, or an error that names the directive and the first option
 *         that failed: "SwiftGateDaemonProcess: unknown option 'procs'"
 */
const char *sg_options_parse(cmd_parms *cmd, const sg_option *table, void *rec,
                             int argc, char *const argv[]);

/* The parsers, each an sg_option_parser; the field type each writes is
 * named first. */

/* const char *: a C identifier, what @_cdecl can name. */
const char *sg_options_symbol(cmd_parms *cmd, const char *value, void *field);
/* const char *: an application or process group name; %{GLOBAL} is "",
 * the process-wide group (and, for a process group, embedded mode). */
const char *sg_options_group(cmd_parms *cmd, const char *value, void *field);
/* const char *: a regular file that exists now, relative paths under
 * ServerRoot; the absolute path is stored. */
const char *sg_options_file(cmd_parms *cmd, const char *value, void *field);
/* const char *: any non-empty name. */
const char *sg_options_name(cmd_parms *cmd, const char *value, void *field);
/* const char *: a URL path matched exactly: '/' first, then no space,
 * control character, '?' or '#'. */
const char *sg_options_url_path(cmd_parms *cmd, const char *value, void *field);
/* int: a whole number from 1 to 100000. */
const char *sg_options_positive(cmd_parms *cmd, const char *value, void *field);
/* apr_int64_t: a whole number, 0 or more (0 usually meaning none). */
const char *sg_options_count(cmd_parms *cmd, const char *value, void *field);
/* apr_interval_time_t: whole seconds from 0 to a year (0 usually meaning
 * none). */
const char *sg_options_seconds(cmd_parms *cmd, const char *value, void *field);
/* const char *: a user name or uid that exists and is not root. */
const char *sg_options_user(cmd_parms *cmd, const char *value, void *field);
/* const char *: a group name or gid that exists. */
const char *sg_options_unix_group(cmd_parms *cmd, const char *value,
                                  void *field);
/* const char *: the absolute path of an existing directory. */
const char *sg_options_directory(cmd_parms *cmd, const char *value,
                                 void *field);
/* apr_array_header_t * (of const char *, made by the caller): appends
 * "KEY=VALUE", KEY of letters, digits and _; repeatable. */
const char *sg_options_env(cmd_parms *cmd, const char *value, void *field);
/* int: an octal file mode creation mask, 0 to 0777. */
const char *sg_options_umask(cmd_parms *cmd, const char *value, void *field);
/* int: On (1) or Off (0), in any case. */
const char *sg_options_on_off(cmd_parms *cmd, const char *value, void *field);

#endif /* SG_OPTIONS_H */
