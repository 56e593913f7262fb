/*
 * embedded_loop: calls an application library's swiftgate_handle in a loop,
 * the way mod_swiftgate's embedded handler does, with a request description
 * of the size Apache makes for wrk's requests and callbacks that only copy.
 * Prints nanoseconds per call. For profiling the Swift side of embedded mode
 * alone (perf record ./embedded_loop LIB N); not a measurement of Apache.
 *
 *   cc -O2 -o embedded_loop embedded_loop.c -I../../Sources/CSwiftGate/include -ldl
 *   ./embedded_loop libHello.so [requests] [path] [browser]
 *
 * "browser" sends the twelve header fields a browser sends for a page
 * instead of wrk's one.
 */
#include "swiftgate.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t body_bytes, heads;

static int64_t read_body(void *ctx, uint8_t *buf, uint64_t cap)
{
    return 0;
}

static int32_t send_head(void *ctx, int32_t status,
                         const swiftgate_pair *fields, uint64_t count)
{
    heads += count;
    return SWIFTGATE_OK;
}

static int32_t write_body(void *ctx, const uint8_t *data, uint64_t len,
                          int32_t flush)
{
    body_bytes += len;
    return SWIFTGATE_OK;
}

static void log_line(void *ctx, int32_t level, const char *msg, uint64_t len)
{
    fprintf(stderr, "%.*s\n", (int)len, msg);
}

#define PAIR(n, v) {n, sizeof(n) - 1, v, sizeof(v) - 1}

int main(int argc, char **argv)
{
    static swiftgate_host host = {SWIFTGATE_ABI_VERSION, sizeof(host), NULL,
                                  log_line};
    const char *path = argc > 3 ? argv[3] : "";
    long n = argc > 2 ? atol(argv[2]) : 1000000, i;
    swiftgate_pair environ[] = {
        PAIR("HTTP_HOST", "127.0.0.1:8080"),
        PAIR("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"),
        PAIR("SERVER_SIGNATURE", ""),
        PAIR("SERVER_SOFTWARE", "Apache/2.4.71 (Debian)"),
        PAIR("SERVER_NAME", "127.0.0.1"),
        PAIR("SERVER_ADDR", "127.0.0.1"),
        PAIR("SERVER_PORT", "8080"),
        PAIR("REMOTE_ADDR", "127.0.0.1"),
        PAIR("DOCUMENT_ROOT", "/tmp/swiftgate-bench/htdocs"),
        PAIR("REQUEST_SCHEME", "http"),
        PAIR("CONTEXT_PREFIX", ""),
        PAIR("CONTEXT_DOCUMENT_ROOT", "/tmp/swiftgate-bench/htdocs"),
        PAIR("SERVER_ADMIN", "[no address given]"),
        PAIR("SCRIPT_FILENAME", "/tmp/swiftgate-bench/libHello.so"),
        PAIR("REMOTE_PORT", "51234"),
        PAIR("GATEWAY_INTERFACE", "CGI/1.1"),
        PAIR("SERVER_PROTOCOL", "HTTP/1.1"),
        PAIR("REQUEST_METHOD", "GET"),
        PAIR("QUERY_STRING", ""),
        PAIR("REQUEST_URI", "/sg-embedded/"),
        PAIR("SCRIPT_NAME", "/sg-embedded"),
        PAIR("PATH_INFO", "/"),
        PAIR("PATH_TRANSLATED", "/tmp/swiftgate-bench/htdocs/"),
        PAIR(SWIFTGATE_ENV_URL_SCHEME, "http"),
        PAIR(SWIFTGATE_ENV_MULTITHREAD, "1"),
        PAIR(SWIFTGATE_ENV_MULTIPROCESS, "1"),
        PAIR(SWIFTGATE_ENV_PROCESS_GROUP, ""),
        PAIR(SWIFTGATE_ENV_APPLICATION_GROUP, ""),
        PAIR(SWIFTGATE_ENV_CALLABLE_OBJECT, SWIFTGATE_DEFAULT_CALLABLE),
        PAIR(SWIFTGATE_ENV_VERSION, SWIFTGATE_INTERFACE_VERSION),
    };
    swiftgate_pair headers[] = {
        PAIR("Host", "127.0.0.1:8080"),
        PAIR("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) "
                           "Gecko/20100101 Firefox/128.0"),
        PAIR("Accept", "text/html,application/xhtml+xml,application/xml;"
                       "q=0.9,*/*;q=0.8"),
        PAIR("Accept-Language", "en-US,en;q=0.5"),
        PAIR("Accept-Encoding", "gzip, deflate, br, zstd"),
        PAIR("Connection", "keep-alive"),
        PAIR("Cookie", "sessionid=abcdef0123456789abcdef0123456789; "
                       "csrftoken=0123456789abcdef"),
        PAIR("Upgrade-Insecure-Requests", "1"),
        PAIR("Sec-Fetch-Dest", "document"),
        PAIR("Sec-Fetch-Mode", "navigate"),
        PAIR("Sec-Fetch-Site", "none"),
        PAIR("Priority", "u=0, i"),
    };
    int browser = argc > 4 && !strcmp(argv[4], "browser");
    swiftgate_app_info info;
    swiftgate_request req;
    struct timespec t0, t1;
    char err[512];
    void *lib, *exported, *app;
    swiftgate_start_fn start;
    swiftgate_handle_fn handle;
    swiftgate_callable_fn callable;

    if (argc < 2) {
        fprintf(stderr, "usage: %s LIBRARY [requests] [path-info] [browser]\n",
                argv[0]);
        return 2;
    }
    lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "%s\n", dlerror());
        return 1;
    }
    start = (swiftgate_start_fn)dlsym(lib, SWIFTGATE_SYM_START);
    handle = (swiftgate_handle_fn)dlsym(lib, SWIFTGATE_SYM_HANDLE);
    callable = (swiftgate_callable_fn)dlsym(lib, SWIFTGATE_DEFAULT_CALLABLE);
    if (!start || !handle || !callable) {
        fprintf(stderr, "not a SwiftGate application library\n");
        return 1;
    }
    if (*path) {
        /* REQUEST_URI agrees with SCRIPT_NAME + PATH_INFO, as Apache's does */
        static char uri[1024];
        snprintf(uri, sizeof(uri), "/sg-embedded%s", path);
        environ[19].value = uri;
        environ[19].value_len = strlen(uri);
        environ[21].value = path;
        environ[21].value_len = strlen(path);
    }
    memset(&info, 0, sizeof(info));
    info.struct_size = sizeof(info);
    info.library_path = argv[1];
    info.callable = SWIFTGATE_DEFAULT_CALLABLE;
    info.application_group = "";
    info.process_group = "";
    info.host = &host;
    exported = callable();
    app = start(exported, &info, err, sizeof(err));
    if (!app) {
        fprintf(stderr, "start failed: %s\n", err);
        return 1;
    }
    memset(&req, 0, sizeof(req));
    req.struct_size = sizeof(req);
    req.environ = environ;
    req.environ_count = sizeof(environ) / sizeof(environ[0]);
    req.headers = headers;
    req.header_count = browser ? sizeof(headers) / sizeof(headers[0]) : 1;
    req.read_body = read_body;
    req.send_head = send_head;
    req.write_body = write_body;
    req.log = log_line;
    for (i = 0; i < n / 10 + 1; i++) {
        handle(app, &req); /* warm-up */
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (i = 0; i < n; i++) {
        if (handle(app, &req) != SWIFTGATE_OK) {
            fprintf(stderr, "request %ld failed\n", i);
            return 1;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("%.0f ns per request (%ld requests, %llu body bytes each)\n",
           ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / n, n,
           (unsigned long long)(body_bytes / (n + n / 10 + 1)));
    return 0;
}
