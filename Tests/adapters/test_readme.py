"""The README's framework configuration, as printed there: Hummingbird's
todo example embedded, Vapor's in a daemon group, /admin behind basic auth
for both."""

import json
import os
import re
import shutil
import subprocess

from harness.apache import Apache
from harness.env import IS_ROOT, REPO, http_request

from conftest import LIBS, TODOS, USER, basic_auth, write_htpasswd


def readme_config():
    with open(os.path.join(REPO, "README.md")) as f:
        text = f.read()
    section = text[text.index("## Hummingbird and Vapor applications"):]
    return re.search(r"```apache\n(.*?)```", section, re.S).group(1)


def test_the_readme_configuration_serves_both_examples():
    config = readme_config()
    user = "user=www-data group=www-data" if IS_ROOT else ""
    server = Apache("LoadModule authn_file_module /usr/lib/apache2/modules/mod_authn_file.so\n"
                    + config.replace("/srv/todos", "{site}").replace("user=todos group=todos", user))
    try:
        for framework, name in (("hummingbird", "hb"), ("vapor", "vapor")):
            shutil.copy(os.path.join(LIBS[framework], TODOS[framework]), server.site_dir)
            with open(os.path.join(server.site_dir, name + ".json"), "w") as f:
                json.dump({"database": {"path": os.path.join(server.root, "data", name + ".sqlite")}}, f)
        write_htpasswd(os.path.join(server.site_dir, "htpasswd"))
        subprocess.run(["chmod", "-R", "a+rX", server.root], check=True)
        server.start()
        for prefix in ("/hb", "/vapor"):
            status, _, body = http_request(server.port, "POST", prefix + "/todos",
                                           body=json.dumps({"title": "from " + prefix}),
                                           headers={"Content-Type": "application/json"})
            assert status == 201, body
            assert json.loads(body)["url"].startswith("http://127.0.0.1:%d%s/todos/" % (server.port, prefix))
            status, _, _ = http_request(server.port, "GET", prefix + "/admin")
            assert status == 401
            status, _, body = http_request(server.port, "GET", prefix + "/admin", headers=basic_auth())
            assert (status, body) == (200, ("Signed in as %s\n" % USER).encode())
        assert server.daemon_pids("vapor")
    finally:
        server.cleanup()
