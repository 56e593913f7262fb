"""The test harness the pytest suites share (Tests/integration,
Tests/faults): real servers started as a user would start them, clients to
talk to them, and the check of their error logs.

    env       where the build under test is; free ports, waits, one request
    conf      apache/ templates filled in; site snippets
    apache    Apache: a private Apache on a free port
    daemon    Daemon (`swiftgate serve --fastcgi`) and Host (the C daemon host)
    cli       express start-server and serve --http as processes
    fcgi      a FastCGI client
    load      a bounded HTTP load
    proc      processes as /proc and ss show them
    fixtures  the C fixtures (fixtures/*.c) and how they are built
    postgres  a private PostgreSQL: start(tmpdir) -> .url, .stop(), .start(), .close()
    users     `swiftgate users` as a user runs it
    netns     backend hosts as network namespaces the test makes
    backends  `swiftgate serve --processes` inside such a host
    fronts    Apache's balancer, nginx and HAProxy in front of them
    logs      the error-log check every test goes through

Tests/conftest.py puts Tests/ on sys.path, so a suite imports
`from harness.apache import Apache`."""
