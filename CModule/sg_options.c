/*
 * sg_options.c -- the key=value options of mod_swiftgate's directives: the
 * value parsers, and parsing a word through a record's table.
 */
#include "sg_options.h"

#include "apr_lib.h"
#include "apr_strings.h"

#include <grp.h>
#include <pwd.h>

/* A C identifier: what @_cdecl can name. */
const char *sg_options_symbol(cmd_parms *cmd, const char *value, void *field)
{
    const char *c;

    if (!*value || apr_isdigit(*value)) {
        return "must be a C symbol name";
    }
    for (c = value; *c; c++) {
        if (!apr_isalnum(*c) && *c != '_') {
            return "must be a C symbol name";
        }
    }
    *(const char **)field = value;
    return NULL;
}

/* An application group; %{GLOBAL} is the empty, process-wide group. */
const char *sg_options_group(cmd_parms *cmd, const char *value, void *field)
{
    *(const char **)field = strcmp(value, "%{GLOBAL}") ? value : "";
    return NULL;
}

/* A file that must exist now; relative paths are under ServerRoot. */
const char *sg_options_file(cmd_parms *cmd, const char *value, void *field)
{
    const char *path = ap_server_root_relative(cmd->pool, value);
    apr_finfo_t finfo;

    if (!path) {
        return "is not a valid path";
    }
    if (apr_stat(&finfo, path, APR_FINFO_TYPE, cmd->temp_pool) != APR_SUCCESS
        || finfo.filetype != APR_REG) {
        return apr_pstrcat(cmd->temp_pool, "names no file: ", path, NULL);
    }
    *(const char **)field = path;
    return NULL;
}

/* A name: process groups, display names. */
const char *sg_options_name(cmd_parms *cmd, const char *value, void *field)
{
    if (!*value) {
        return "must not be empty";
    }
    *(const char **)field = value;
    return NULL;
}

/* A URL path a request's path is compared with, byte for byte. */
const char *sg_options_url_path(cmd_parms *cmd, const char *value, void *field)
{
    const unsigned char *c;

    if (value[0] != '/') {
        return "must be a URL path starting with '/'";
    }
    for (c = (const unsigned char *)value; *c; c++) {
        if (*c <= ' ' || *c == 0x7f || *c == '?' || *c == '#') {
            return "must be a URL path without spaces, control characters, "
                   "'?' or '#'";
        }
    }
    *(const char **)field = value;
    return NULL;
}

/* A whole number in [min, max] in the given base, or -1. */
static apr_int64_t whole_number(const char *value, int base, apr_int64_t min,
                                apr_int64_t max)
{
    char *end;
    apr_int64_t n;

    if (!apr_isdigit(*value)) {
        return -1;
    }
    n = apr_strtoi64(value, &end, base);
    return *end || n < min || n > max ? -1 : n;
}

/* A count of at least 1 that fits an int. */
const char *sg_options_positive(cmd_parms *cmd, const char *value, void *field)
{
    apr_int64_t n = whole_number(value, 10, 1, 100000);

    if (n < 0) {
        return "must be a whole number from 1 to 100000";
    }
    *(int *)field = (int)n;
    return NULL;
}

/* A count, 0 meaning none. */
const char *sg_options_count(cmd_parms *cmd, const char *value, void *field)
{
    apr_int64_t n = whole_number(value, 10, 0, APR_INT64_MAX);

    if (n < 0) {
        return "must be a whole number, 0 or more";
    }
    *(apr_int64_t *)field = n;
    return NULL;
}

/* Whole seconds, 0 meaning none; stored as an interval. */
const char *sg_options_seconds(cmd_parms *cmd, const char *value, void *field)
{
    apr_int64_t n = whole_number(value, 10, 0, 31536000);

    if (n < 0) {
        return "must be whole seconds, from 0 to 31536000";
    }
    *(apr_interval_time_t *)field = apr_time_from_sec(n);
    return NULL;
}

/* A user that exists and is not root. */
const char *sg_options_user(cmd_parms *cmd, const char *value, void *field)
{
    struct passwd *pw = getpwnam(value);

    if (!pw && apr_isdigit(*value)) {
        pw = getpwuid((uid_t)atol(value));
    }
    if (!pw) {
        return "names no user on this system";
    }
    if (pw->pw_uid == 0) {
        return "is root: daemon processes never run as root";
    }
    *(const char **)field = value;
    return NULL;
}

const char *sg_options_unix_group(cmd_parms *cmd, const char *value,
                                  void *field)
{
    struct group *gr = getgrnam(value);

    if (!gr && apr_isdigit(*value)) {
        gr = getgrgid((gid_t)atol(value));
    }
    if (!gr) {
        return "names no group on this system";
    }
    *(const char **)field = value;
    return NULL;
}

const char *sg_options_directory(cmd_parms *cmd, const char *value, void *field)
{
    apr_finfo_t finfo;

    if (*value != '/') {
        return "must be an absolute path";
    }
    if (apr_stat(&finfo, value, APR_FINFO_TYPE, cmd->temp_pool) != APR_SUCCESS
        || finfo.filetype != APR_DIR) {
        return "names no directory";
    }
    *(const char **)field = value;
    return NULL;
}

/* env=KEY=VALUE, repeatable. */
const char *sg_options_env(cmd_parms *cmd, const char *value, void *field)
{
    apr_array_header_t **env = field;
    const char *eq = strchr(value, '=');
    const char *c;

    if (!eq || eq == value) {
        return "must be KEY=VALUE";
    }
    for (c = value; c < eq; c++) {
        if (!apr_isalnum(*c) && *c != '_') {
            return "must be KEY=VALUE with a KEY of letters, digits and _";
        }
    }
    *(const char **)apr_array_push(*env) = value;
    return NULL;
}

const char *sg_options_umask(cmd_parms *cmd, const char *value, void *field)
{
    apr_int64_t n = whole_number(value, 8, 0, 0777);

    if (n < 0) {
        return "must be an octal mode such as 0007";
    }
    *(int *)field = (int)n;
    return NULL;
}

const char *sg_options_on_off(cmd_parms *cmd, const char *value, void *field)
{
    if (!strcasecmp(value, "on")) {
        *(int *)field = 1;
    }
    else if (!strcasecmp(value, "off")) {
        *(int *)field = 0;
    }
    else {
        return "must be On or Off";
    }
    return NULL;
}

/* Parses one "name=value" word into rec through table. */
static const char *parse_word(cmd_parms *cmd, const sg_option *table, void *rec,
                              const char *word)
{
    const char *eq = strchr(word, '=');
    const char *name, *err;
    const sg_option *o;

    if (!eq || eq == word) {
        return apr_psprintf(cmd->pool, "%s: expected option=value, got '%s'",
                            cmd->cmd->name, word);
    }
    name = apr_pstrmemdup(cmd->temp_pool, word, eq - word);
    for (o = table; o->name; o++) {
        if (!strcmp(o->name, name)) {
            err = o->parse(cmd, eq + 1, (char *)rec + o->offset);
            if (err) {
                return apr_psprintf(cmd->pool, "%s: option '%s' %s (got '%s')",
                                    cmd->cmd->name, name, err, eq + 1);
            }
            return NULL;
        }
    }
    return apr_psprintf(cmd->pool, "%s: unknown option '%s'", cmd->cmd->name,
                        name);
}

const char *sg_options_parse(cmd_parms *cmd, const sg_option *table, void *rec,
                             int argc, char *const argv[])
{
    const char *err;
    int i;

    for (i = 0; i < argc; i++) {
        if ((err = parse_word(cmd, table, rec, argv[i]))) {
            return err;
        }
    }
    return NULL;
}
