"""Backend hosts as network namespaces the test makes itself: each host is
a namespace with one veth pair to the root namespace (where the front-ends
run), host i at 10.N.i.2 and the root namespace's end at 10.N.i.1, in a
10.N.0.0/16 that no address or route of the machine uses. A service of the
root namespace every host must reach (the database) listens on
`service_address`, 10.N.255.1 on the root namespace's loopback, which each
host reaches through its own pair (a route to that one address). Names are
unique per run; `Hosts.remove` deletes every namespace, link and address it
made, and is safe to call twice.

Traffic stays between the test's namespaces and the root namespace: a host
has routes to its own /24 and to the service address only, no default
route, so it reaches neither another host nor anything beyond."""

import os
import random
import subprocess

IP = "/usr/sbin/ip" if os.path.exists("/usr/sbin/ip") else "ip"


def run(*args, check=True):
    done = subprocess.run([IP, *args], capture_output=True, text=True, timeout=20)
    if check and done.returncode != 0:
        raise RuntimeError("ip %s: %s" % (" ".join(args), done.stderr.strip()))
    return done


def can_make_namespaces():
    """Whether this process may make namespaces (root with iproute2)."""
    if os.geteuid() != 0:
        return False
    try:
        return run("netns", "list", check=False).returncode == 0
    except OSError:
        return False


def free_subnet():
    """A second octet for 10.N.0.0/16 that no address or route here uses."""
    used = run("-4", "route", "show", "table", "all").stdout + run("-4", "addr").stdout
    for _ in range(100):
        n = random.randint(100, 250)
        if " 10.%d." % n not in used and "\n10.%d." % n not in used and not used.startswith("10.%d." % n):
            return n
    raise RuntimeError("no free 10.N.0.0/16 for the test's hosts")


class Host:
    """One namespace: `address` inside it, `gateway` (the root namespace's
    end of its veth pair)."""

    def __init__(self, name, link, address, gateway):
        self.name = name
        self.link = link
        self.address = address
        self.gateway = gateway

    def command(self, args):
        """args run inside the namespace."""
        return [IP, "netns", "exec", self.name] + list(args)


class Hosts:
    """`count` hosts, made at once."""

    def __init__(self, count):
        tag = "%x%02x" % (os.getpid() & 0xfff, random.randint(0, 255))
        self.octet = free_subnet()
        self.hosts = []
        self.service_address = "10.%d.255.1" % self.octet
        self.service_added = False
        try:
            run("addr", "add", self.service_address + "/32", "dev", "lo")
            self.service_added = True
            for i in range(count):
                name = "sg-%s-h%d" % (tag, i)
                outer, inner = "sg%s%do" % (tag, i), "sg%s%di" % (tag, i)
                host = Host(name, outer, "10.%d.%d.2" % (self.octet, i), "10.%d.%d.1" % (self.octet, i))
                self.hosts.append(host)
                run("netns", "add", name)
                run("link", "add", outer, "type", "veth", "peer", "name", inner)
                run("link", "set", inner, "netns", name)
                run("addr", "add", host.gateway + "/24", "dev", outer)
                run("link", "set", outer, "up")
                run("-n", name, "addr", "add", host.address + "/24", "dev", inner)
                run("-n", name, "link", "set", inner, "up")
                run("-n", name, "link", "set", "lo", "up")
                run("-n", name, "route", "add", self.service_address + "/32", "via", host.gateway)
        except BaseException:
            self.remove()
            raise

    def __iter__(self):
        return iter(self.hosts)

    def __getitem__(self, index):
        return self.hosts[index]

    def __len__(self):
        return len(self.hosts)

    def remove(self):
        """Deletes the namespaces (their end of each pair goes with them)
        and the root namespace's ends."""
        for host in self.hosts:
            run("netns", "delete", host.name, check=False)
            run("link", "delete", host.link, check=False)
        self.hosts = []
        if self.service_added:
            run("addr", "delete", self.service_address + "/32", "dev", "lo", check=False)
            self.service_added = False

    def leftovers(self, names):
        """Which of `names` (namespaces) still exist."""
        listed = run("netns", "list", check=False).stdout
        return [n for n in names if n in listed.split()]
