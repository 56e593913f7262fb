"""`swiftgate express start-server` serves the todo examples as it serves
the example site: in a daemon group (its default) and embedded."""

import json
import os
import shutil

import pytest

from harness.cli import Scratch, start_express

from conftest import LIBS, TODOS


@pytest.fixture
def scratch():
    made = Scratch()
    yield made
    made.cleanup()


@pytest.mark.parametrize("framework", ["hummingbird", "vapor"])
@pytest.mark.parametrize("mode", [[], ["--embedded-mode"]], ids=["daemon", "embedded"])
def test_express_serves_the_todo_example(scratch, framework, mode):
    library = scratch.path(TODOS[framework])
    shutil.copy(os.path.join(LIBS[framework], TODOS[framework]), library)
    os.chmod(library, 0o755)
    settings = scratch.write("todos.json", json.dumps({"database": {"path": os.path.join(scratch.data, "todos.db")}}))
    server = start_express(library, "--settings", settings, *mode)
    try:
        status, headers, body = server.request("POST", "/todos", body=json.dumps({"title": "ship it"}),
                                               headers={"Content-Type": "application/json"})
        assert status == 201, body
        todo = json.loads(body)
        assert todo["url"] == "http://127.0.0.1:%d/todos/%s" % (server.port, todo["id"])
        status, _, body = server.request("GET", "/todos")
        assert status == 200 and [t["title"] for t in json.loads(body)] == ["ship it"]
        status, _, body = server.request("GET", "/files/100000")
        assert status == 200 and len(body) == 100000
        assert server.stop() == 0, server.output()
        assert server.leftovers() == []
    finally:
        server.cleanup()
        shutil.rmtree(server.server_root, ignore_errors=True)
