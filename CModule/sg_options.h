/*
 * sg_options.h -- key=value directive options, parsed from tables of
 * {name, parser, offset}: one table per record a directive fills.
 */
#ifndef SG_OPTIONS_H
#define SG_OPTIONS_H

#include "httpd.h"
#include "http_config.h"

typedef const char *(*sg_option_parser)(cmd_parms *cmd, const char *value,
                                        void *field);

typedef struct sg_option {
    const char *name;
    sg_option_parser parse;
    apr_size_t offset;
} sg_option;

/* SwiftGateDaemonProcess (an sg_group), SwiftGateScriptAlias (an sg_alias)
 * and the access-check scripts (an sg_script). */
extern const sg_option sg_group_options[];
extern const sg_option sg_alias_options[];
extern const sg_option sg_script_options[];

/* Parses one "name=value" word into rec through table: NULL, or an error
 * that names the directive and the option. */
const char *sg_parse_option(cmd_parms *cmd, const sg_option *table, void *rec,
                            const char *word);

/* Parsers the directive handlers also call on their own. A C identifier:
 * what @_cdecl can name. */
const char *sg_parse_symbol(cmd_parms *cmd, const char *value, void *field);
/* An application group; %{GLOBAL} is the empty, process-wide group. */
const char *sg_parse_group(cmd_parms *cmd, const char *value, void *field);

#endif /* SG_OPTIONS_H */
