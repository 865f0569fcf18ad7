#!/usr/bin/python3
"""The Debian package on this machine, as an admin installs it beside Jitsi Meet's Prosody.

Steps: `make deb`; install the package with the domain preseeded in debconf (the secret is left
for the postinst to generate, as on a fresh install); reinstall it over jitsi-videobridge 1.x's
/etc/default/jitsi-videobridge with JVB_OPTS="--apis=rest,xmpp" and check JVB's migrations (the
file becomes config, --apis=rest becomes videobridge.apis.rest.enabled in jvb.conf, once);
configure Debian's Prosody the way jitsi-meet-prosody does (a certificate for auth.DOMAIN trusted
in the system CA bundle, the VirtualHost auth.DOMAIN with the jvb account registered with the
secret read back from debconf, the focus account, the internal MUC component holding the
brewery) and run it; start the unit's ExecStart as systemd would (its User, Group, Environment,
EnvironmentFile, no capabilities, no new privileges), with no systemd; check that the bridge
joins the brewery (its stats presence, as the focus sees it), that /about/health is 200, that
/about/version is the package's version and that /colibri/stats answers (the migrated REST
API); shut it down with the packaged graceful_shutdown.sh and see it exit with 0; start it again
and stop it with SIGTERM; check that its log holds only JVB's line format; reinstall and check
the configuration is untouched; purge and check nothing of the package is left; finally put
Prosody, the CA store and the kernel settings back as they were, and check that too.

Needs root and the ports the installed configuration uses (5222, 8080, UDP 10000); refuses to
run on a machine that has a bridge installed or configured, since the purge would remove it.
graceful_shutdown.sh needs curl (the package Recommends it; dpkg -i installs no Recommends).
Usage: package_test.py [--deb PATH]   (without --deb, `make deb` builds it first)
Exit status: 0 passed, 1 failed, 77 skipped (not root)."""

import argparse
import asyncio
import grp
import hashlib
import json
import os
import pwd
import re
import secrets
import shlex
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
PACKAGE = "jitsi-native-videobridge"
REPLACED = "jitsi-videobridge2"
UNIT = "/lib/systemd/system/jitsi-videobridge2.service"
CONFIG_DIR = "/etc/jitsi/videobridge"
LOG_DIR = "/var/log/jitsi"
LOG_FILE = LOG_DIR + "/jvb.log"
RUNTIME_DIR = "/run/jitsi-videobridge"
GRACEFUL_SHUTDOWN = "/usr/share/jitsi-videobridge/graceful_shutdown.sh"
# jitsi-videobridge 1.x's environment file, which the postinst moves to CONFIG_DIR/config.
OLD_ENV_FILE = "/etc/default/jitsi-videobridge"
DOMAIN = "meet.pkgtest.example"
AUTH_DOMAIN = "auth." + DOMAIN
MUC_DOMAIN = "internal.auth." + DOMAIN
BREWERY = "jvbbrewery@" + MUC_DOMAIN
PROSODY_CONF_AVAIL = f"/etc/prosody/conf.avail/{DOMAIN}.cfg.lua"
PROSODY_CONF_LINK = f"/etc/prosody/conf.d/{DOMAIN}.cfg.lua"
PROSODY_CERT = f"/etc/prosody/certs/{AUTH_DOMAIN}.crt"
PROSODY_KEY = f"/etc/prosody/certs/{AUTH_DOMAIN}.key"
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
DEBCONF_DBS = ("/var/cache/debconf/config.dat", "/var/cache/debconf/passwords.dat",
               "/var/cache/debconf/templates.dat")
SYSCTLS = ("/proc/sys/net/core/rmem_max", "/proc/sys/net/core/netdev_max_backlog")
NS_STATS = "http://jitsi.org/protocol/colibri"
NS_MUC = "http://jabber.org/protocol/muc"
# An address of TEST-NET-2 as the public side of a NAT mapping (see add_test_settings).
PUBLIC_ADDRESS = "198.51.100.10"
DEADLINE_S = 30
BUILD_DEADLINE_S = 40 * 60


class Failure(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Failure(what)


def log(text):
    print(f"package: {text}", flush=True)


def run(args, check=True, **kw):
    """Runs a command, its output captured; a failure shows it."""
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    if check and r.returncode != 0:
        raise Failure(f"{' '.join(args)} exited with {r.returncode}:\n{r.stdout}")
    return r


def wait_until(predicate, what, timeout=DEADLINE_S, interval=0.1):
    """Polls `predicate` until it returns something truthy; fails after `timeout`."""
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= end:
            raise Failure(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)  # polling interval of a bounded wait


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


def tree(path):
    """Every path under `path` (itself included), or an empty set when it does not exist."""
    found = set()
    if os.path.lexists(path):
        found.add(path)
    for base, dirs, files in os.walk(path):
        found.update(os.path.join(base, n) for n in dirs + files)
    return found


def user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def group_exists(name):
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def package_status(name):
    r = run(["dpkg-query", "-W", "-f=${db:Status-Abbrev}", name], check=False)
    return r.stdout.strip() if r.returncode == 0 else "un"


def port_free(kind, address, port):
    s = socket.socket(socket.AF_INET, kind)
    try:
        s.bind((address, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def debconf_get(question):
    r = run(["debconf-communicate", PACKAGE], input=f"GET {question}\n")
    code, _, value = r.stdout.strip().partition(" ")
    return value if code == "0" else ""


def debconf_mentions(text):
    return sum(read(p).count(text) for p in DEBCONF_DBS if os.path.exists(p))


# --- the machine before and after ---------------------------------------------------------------

class MachineState:
    """What the test may touch, taken before it starts, so that it can put back and compare."""

    def __init__(self):
        self.prosody_lib = tree("/var/lib/prosody")
        self.prosody_etc = tree("/etc/prosody")
        self.prosody_logs = {p: os.path.getsize(p) for p in tree("/var/log/prosody") if os.path.isfile(p)}
        self.run_prosody = os.path.exists("/run/prosody")
        self.local_cas = tree("/usr/local/share/ca-certificates")
        self.ssl_certs = tree("/etc/ssl/certs")
        # Where deb-systemd-helper records the unit's enablement, with or without systemd running.
        self.systemd = tree("/etc/systemd/system") | tree("/var/lib/systemd/deb-systemd-helper-enabled")
        self.ca_bundle = sha256(CA_BUNDLE) if os.path.exists(CA_BUNDLE) else None
        self.etc_jitsi = os.path.exists("/etc/jitsi")
        self.old_env_file = os.path.exists(OLD_ENV_FILE)
        self.log_dir = os.path.exists(LOG_DIR)
        self.group_jitsi = group_exists("jitsi")
        self.debconf = debconf_mentions("jitsi-videobridge/")
        self.sysctls = {p: read(p).strip() for p in SYSCTLS if os.path.exists(p)}

    def differences(self, now):
        out = []
        for name in ("prosody_lib", "prosody_etc", "local_cas", "ssl_certs", "systemd"):
            before, after = getattr(self, name), getattr(now, name)
            if before != after:
                out.append(f"{name}: added {sorted(after - before)}, removed {sorted(before - after)}")
        for name in ("prosody_logs", "run_prosody", "ca_bundle", "etc_jitsi", "old_env_file", "log_dir",
                     "group_jitsi", "debconf", "sysctls"):
            if getattr(self, name) != getattr(now, name):
                out.append(f"{name}: {getattr(self, name)} before, {getattr(now, name)} after")
        return out


def preconditions():
    """Refuses what the test would damage, and ports it cannot have."""
    for name in (PACKAGE, REPLACED, "jitsi-videobridge"):
        status = package_status(name)
        expect(status.startswith("un"), f"{name} is on this machine (dpkg status '{status}'); the test "
               "installs and purges the bridge package, so it runs only where none is installed")
    expect(not os.path.exists(CONFIG_DIR), f"{CONFIG_DIR} exists; the purge at the end would delete it")
    expect(not os.path.exists(OLD_ENV_FILE), f"{OLD_ENV_FILE} exists; the test's install would move it")
    expect(shutil.which("curl"), "curl is missing: graceful_shutdown.sh needs it (apt-get install curl)")
    expect(not user_exists("jvb"), "the user jvb exists; the purge at the end would delete it")
    expect(not os.path.exists(PROSODY_CONF_AVAIL), f"{PROSODY_CONF_AVAIL} exists")
    expect(debconf_mentions("jitsi-videobridge/") == 0, "debconf holds JVB's questions already "
           "(jitsi-meet-prosody?); the test would change their answers")
    for kind, address, port, who in ((socket.SOCK_STREAM, "0.0.0.0", 5222, "Prosody's c2s port"),
                                     (socket.SOCK_STREAM, "127.0.0.1", 8080, "the bridge's private HTTP port"),
                                     (socket.SOCK_DGRAM, "0.0.0.0", 10000, "the bridge's media port")):
        expect(port_free(kind, address, port),
               f"port {port} ({who}, fixed by the installed configuration) is in use: stop what holds it")


# --- build and install --------------------------------------------------------------------------

def build_deb():
    # Without debug information: the same package otherwise, built in about two thirds of the time.
    r = subprocess.run(["make", "-C", ROOT, "--no-print-directory", "deb"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=BUILD_DEADLINE_S,
                       env=dict(os.environ, DEB_NODEBUG="1"))
    lines = r.stdout.splitlines()
    for line in lines:
        if line.startswith("build-deb:") or line.startswith("install-deps:"):
            log("  " + line)
    expect(r.returncode == 0, "make deb failed:\n" + "\n".join(lines[-80:]))
    deb = lines[-1].strip()
    expect(deb.endswith(".deb") and os.path.exists(deb), f"make deb did not name a .deb: {deb}")
    return deb


def install(deb):
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    r = run(["dpkg", "-i", deb], check=False, env=env)
    expect(r.returncode == 0, f"dpkg -i {deb} failed:\n{r.stdout}")


def as_jvb(args, **kw):
    return run(["setpriv", "--reuid=jvb", "--regid=jitsi", "--init-groups", "--"] + args, check=False, **kw)


def owner_mode(path):
    st = os.stat(path)
    return st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)


def check_installed():
    for path in ("/usr/bin/videobridge", UNIT, "/etc/logrotate.d/jitsi-videobridge",
                 "/etc/sysctl.d/20-jvb-udp-buffers.conf", CONFIG_DIR + "/config", CONFIG_DIR + "/jvb.conf",
                 CONFIG_DIR + "/logging.properties", LOG_FILE, "/usr/share/man/man1/videobridge.1.gz",
                 GRACEFUL_SHUTDOWN):
        expect(os.path.exists(path), f"{path} is missing after the install")
    expect(owner_mode(GRACEFUL_SHUTDOWN) == (0, 0, 0o755), f"{GRACEFUL_SHUTDOWN}: {owner_mode(GRACEFUL_SHUTDOWN)}")
    if shutil.which("systemd-analyze"):  # the unit's syntax, without a running systemd
        r = run(["systemd-analyze", "verify", "--man=no", UNIT], check=False)
        expect(r.returncode == 0 and not r.stdout.strip(), f"systemd-analyze verify {UNIT}:\n{r.stdout}")
    provides = run(["dpkg-query", "-W", "-f=${Provides}", PACKAGE]).stdout
    expect(REPLACED in provides, f"the package does not provide {REPLACED}: '{provides}'")

    expect(user_exists("jvb") and group_exists("jitsi"), "the user jvb or the group jitsi is missing")
    groups = run(["id", "-nG", "jvb"]).stdout.split()
    expect("jitsi" in groups, f"jvb is not in the group jitsi: {groups}")
    jitsi_gid = grp.getgrnam("jitsi").gr_gid
    expect(owner_mode(CONFIG_DIR) == (0, jitsi_gid, 0o750), f"{CONFIG_DIR}: {owner_mode(CONFIG_DIR)}")
    for name in ("config", "jvb.conf", "logging.properties"):
        path = os.path.join(CONFIG_DIR, name)
        expect(owner_mode(path) == (0, jitsi_gid, 0o640), f"{path}: owner and mode {owner_mode(path)}")
        # The service user reads the files that hold the XMPP password but cannot change them.
        expect(as_jvb(["test", "-r", path]).returncode == 0, f"jvb cannot read {path}")
        expect(as_jvb(["test", "-w", path]).returncode != 0, f"jvb can write {path}")
    expect(as_jvb(["test", "-w", CONFIG_DIR]).returncode != 0, f"jvb can write in {CONFIG_DIR}")
    expect(as_jvb(["test", "-w", LOG_FILE]).returncode == 0, f"jvb cannot write {LOG_FILE}")

    # The secret the postinst generated went to debconf, where jitsi-meet-prosody finds it.
    secret = debconf_get("jitsi-videobridge/jvbsecret")
    expect(len(secret) >= 16, f"no generated secret in debconf: '{secret}'")
    conf = read(CONFIG_DIR + "/jvb.conf")
    for text in (f'PASSWORD = "{secret}"', f'DOMAIN = "{AUTH_DOMAIN}"', f'MUC_JIDS = "{BREWERY}"'):
        expect(text in conf, f"jvb.conf lacks {text}:\n{conf}")
    nick = re.search(r'MUC_NICKNAME = "([0-9a-f-]{36})"', conf)
    expect(nick, f"jvb.conf has no generated MUC_NICKNAME:\n{conf}")
    env_file = read(CONFIG_DIR + "/config")
    expect(f"-Dconfig.file={CONFIG_DIR}/jvb.conf" in env_file, f"config does not name jvb.conf:\n{env_file}")
    return secret, nick.group(1)


def check_migration(deb, secret):
    """JVB's postinst migrations, on a reinstall over what jitsi-videobridge 1.x left: its
    /etc/default file becomes config (JAVA_SYS_PROPS added), and --apis=rest in its JVB_OPTS, which
    this bridge does not read, becomes videobridge.apis.rest.enabled in jvb.conf (appended as a
    HOCON path, once) and leaves the line. Comments stay as they are."""
    config, conf_path = CONFIG_DIR + "/config", CONFIG_DIR + "/jvb.conf"
    old = ["# Jitsi Videobridge settings, as jitsi-videobridge 1.x wrote them (package test)",
           f"JVB_HOSTNAME={DOMAIN}", "JVB_HOST=", "JVB_PORT=5347", f"JVB_SECRET={secret}",
           "# extra options to pass to the JVB daemon", '#JVB_OPTS="--apis=rest,xmpp"',
           'JVB_OPTS="--apis=rest,xmpp"']
    conf_before = read(conf_path)
    os.remove(config)
    with open(OLD_ENV_FILE, "w") as f:
        f.write("\n".join(old) + "\n")
    install(deb)
    expect(not os.path.exists(OLD_ENV_FILE), f"{OLD_ENV_FILE} is still there after the install")
    lines = read(config).splitlines()
    expect(lines[:len(old)] == old[:-1] + ['JVB_OPTS=""'],
           "config is not the old file with --apis dropped from JVB_OPTS:\n" + "\n".join(lines))
    props = [line for line in lines if line.startswith("JAVA_SYS_PROPS=")]
    expect(len(props) == 1 and f"-Dconfig.file={CONFIG_DIR}/jvb.conf" in props[0],
           "config did not get one JAVA_SYS_PROPS naming jvb.conf:\n" + "\n".join(lines))
    jitsi_gid = grp.getgrnam("jitsi").gr_gid
    expect(owner_mode(config) == (0, jitsi_gid, 0o640), f"{config}: owner and mode {owner_mode(config)}")
    conf = read(conf_path)
    expect(conf.startswith(conf_before), "the postinst changed jvb.conf other than by appending to it")
    added = [line.strip() for line in conf[len(conf_before):].splitlines()
             if line.strip() and not line.strip().startswith("#")]
    expect(added == ["videobridge.apis.rest.enabled = true"], f"the postinst appended to jvb.conf: {added}")

    # With the key in jvb.conf now, --apis=rest leaves config and jvb.conf stays as it is.
    with open(config, "a") as f:
        f.write('JVB_OPTS="--apis=rest, --keep"\n')
    conf_hash = sha256(conf_path)
    install(deb)
    expect(sha256(conf_path) == conf_hash, "jvb.conf changed although it sets videobridge.apis.rest.enabled")
    lines = read(config).splitlines()
    expect(lines[-1] == 'JVB_OPTS="--keep"', f"config's last line: {lines[-1]}")
    expect(not [line for line in lines if "--apis=" in line and not line.startswith("#")],
           "config still has --apis:\n" + "\n".join(lines))


# --- Prosody as jitsi-meet-prosody configures it ------------------------------------------------

def prosody_config():
    return f"""-- Written by tests/package/package_test.py as jitsi-meet-prosody would; removed by it.
VirtualHost "{AUTH_DOMAIN}"
    ssl = {{
        key = "{PROSODY_KEY}";
        certificate = "{PROSODY_CERT}";
    }}
    authentication = "internal_hashed"

Component "{MUC_DOMAIN}" "muc"
    storage = "memory"
    modules_enabled = {{ "ping" }}
    admins = {{ "focus@{AUTH_DOMAIN}", "jvb@{AUTH_DOMAIN}" }}
    muc_room_locking = false
    muc_room_default_public_jids = true
"""


def trust(pem):
    """The bridge checks Prosody's certificate against the system's CA bundle, where
    jitsi-meet-prosody puts it (update-ca-certificates). The test appends it to the bundle
    itself: running update-ca-certificates would also run its hooks (Java's keystore, when
    ca-certificates-java is installed), which removing the certificate does not undo."""
    with open(CA_BUNDLE, "a") as f:
        f.write(pem if pem.endswith("\n") else pem + "\n")


def untrust(pem):
    text = read(CA_BUNDLE)
    if pem in text:
        with open(CA_BUNDLE, "w") as f:
            f.write(text.replace(pem if pem.endswith("\n") else pem + "\n", "", 1))


def setup_prosody(jvb_secret, focus_secret):
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={AUTH_DOMAIN}",
         "-addext", f"subjectAltName=DNS:{AUTH_DOMAIN},DNS:{MUC_DOMAIN}", "-keyout", PROSODY_KEY,
         "-out", PROSODY_CERT])
    prosody_gid = grp.getgrnam("prosody").gr_gid
    os.chown(PROSODY_KEY, 0, prosody_gid)
    os.chmod(PROSODY_KEY, 0o640)
    trust(read(PROSODY_CERT))
    with open(PROSODY_CONF_AVAIL, "w") as f:
        f.write(prosody_config())
    os.symlink(PROSODY_CONF_AVAIL, PROSODY_CONF_LINK)
    for user, secret in (("jvb", jvb_secret), ("focus", focus_secret)):
        run(["prosodyctl", "register", user, AUTH_DOMAIN, secret])


def start_prosody():
    """Debian's Prosody with its own configuration, in the foreground, as its system user (what
    its systemd unit does, RuntimeDirectory included)."""
    if not os.path.exists("/run/prosody"):
        os.mkdir("/run/prosody", 0o755)
        pw = pwd.getpwnam("prosody")
        os.chown("/run/prosody", pw.pw_uid, pw.pw_gid)
    out = open("/tmp/package-test-prosody.out", "w")
    proc = subprocess.Popen(["setpriv", "--reuid=prosody", "--regid=prosody", "--init-groups", "--",
                             "prosody", "-F"], stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    out.close()

    def listening():
        expect(proc.poll() is None, f"prosody exited with {proc.returncode}: "
               f"{read('/tmp/package-test-prosody.out')}")
        try:
            socket.create_connection(("127.0.0.1", 5222), timeout=1).close()
            return True
        except OSError:
            return False

    wait_until(listening, "Prosody to listen on 5222")
    return proc


def stop_process(proc, what):
    if proc is None or proc.poll() is not None:
        return proc.returncode if proc else None
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        return proc.wait(timeout=DEADLINE_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise Failure(f"{what} did not stop within {DEADLINE_S} s of SIGTERM")


# --- the unit, as systemd would start it --------------------------------------------------------

def unit_service_section(path):
    """The [Service] settings of a unit file: key -> list of values in order."""
    settings, section = {}, None
    for raw in read(path).splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line
            continue
        if section == "[Service]" and "=" in line:
            key, _, value = line.partition("=")
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def parse_environment_file(path):
    """systemd's EnvironmentFile syntax as far as Debian's `config` uses it: KEY=VALUE lines,
    comments, optional quotes around the value."""
    env = {}
    for raw in read(path).splitlines():
        line = raw.strip()
        if not line or line[0] in "#;" or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        env[key.strip()] = value
    return env


def expand(word, env):
    """systemd's ${VAR} substitution in ExecStart ($$ is a literal $)."""
    word = re.sub(r"\$\{(\w+)\}", lambda m: env.get(m.group(1), ""), word.replace("$$", "\0"))
    return word.replace("\0", "$")


def service_command():
    s = unit_service_section(UNIT)
    user, group = s["User"][-1], s["Group"][-1]
    pw = pwd.getpwnam(user)
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": pw.pw_dir,
           "USER": user, "LOGNAME": user, "SHELL": pw.pw_shell}
    for assignment in s.get("Environment", []):
        for word in shlex.split(assignment):
            key, _, value = word.partition("=")
            env[key] = value
    for path in s.get("EnvironmentFile", []):
        optional = path.startswith("-")
        path = path.lstrip("-")
        if os.path.exists(path) or not optional:
            env.update(parse_environment_file(path))
    if "RuntimeDirectory" in s:
        env["RUNTIME_DIRECTORY"] = "/run/" + s["RuntimeDirectory"][-1]
    argv = [expand(w, env) for w in shlex.split(s["ExecStart"][-1].lstrip("@-:+!"))]
    umask = int(s.get("UMask", ["0022"])[-1], 8)
    # User=, Group=, NoNewPrivileges=yes, CapabilityBoundingSet= and AmbientCapabilities= (none).
    expect(s.get("NoNewPrivileges") == ["yes"] and s.get("CapabilityBoundingSet") == [""],
           "the unit should drop every capability and forbid new privileges")
    prefix = ["setpriv", f"--reuid={user}", f"--regid={group}", "--init-groups", "--no-new-privs",
              "--bounding-set=-all", "--inh-caps=-all", "--"]
    return prefix, argv, env, umask, s


def start_bridge():
    prefix, argv, env, umask, s = service_command()
    mode = int(s.get("RuntimeDirectoryMode", ["0755"])[-1], 8)
    os.makedirs(RUNTIME_DIR, exist_ok=True)
    os.chmod(RUNTIME_DIR, mode)
    os.chown(RUNTIME_DIR, pwd.getpwnam("jvb").pw_uid, grp.getgrnam("jitsi").gr_gid)
    log("ExecStart: " + " ".join(shlex.quote(a) for a in argv))
    return subprocess.Popen(prefix + argv, env=env, cwd="/", stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True,
                            preexec_fn=lambda: os.umask(umask))


def check_process(proc):
    """The bridge runs as jvb:jitsi without capabilities (bash has exec'd it by then)."""
    def exec_done():
        expect(proc.poll() is None, f"the bridge exited with {proc.returncode}:\n{read(LOG_FILE)[-3000:]}")
        try:
            return os.readlink(f"/proc/{proc.pid}/exe") == "/usr/bin/videobridge"
        except OSError:
            return False

    wait_until(exec_done, "the service's shell to exec /usr/bin/videobridge")
    status = dict(line.split(":", 1) for line in read(f"/proc/{proc.pid}/status").splitlines() if ":" in line)
    uid, gid = pwd.getpwnam("jvb").pw_uid, grp.getgrnam("jitsi").gr_gid
    expect(status["Uid"].split() == [str(uid)] * 4, f"bridge Uid: {status['Uid']}")
    expect(status["Gid"].split() == [str(gid)] * 4, f"bridge Gid: {status['Gid']}")
    expect(int(status["CapEff"], 16) == 0 and int(status["CapBnd"], 16) == 0,
           f"bridge capabilities: CapEff {status['CapEff'].strip()}, CapBnd {status['CapBnd'].strip()}")
    expect(status["NoNewPrivs"].strip() == "1", "the bridge may gain privileges")


def add_test_settings():
    """What an admin behind NAT adds to jvb.conf. This bridge does not ask STUN servers for its
    public address yet, and /about/health (require-valid-address, JVB's default) needs a public
    host address or a mapping; CI machines often have only private ones. Then the shutdown API,
    which graceful_shutdown.sh uses (the REST API is on from the migration), and a short delay
    between its last participant and the exit (60 s by default)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # no packet is sent; only the route's source is chosen
        local = probe.getsockname()[0]
    except OSError:
        local = "127.0.0.1"
    finally:
        probe.close()
    with open(CONFIG_DIR + "/jvb.conf", "a") as f:
        f.write(f'\n# Added by the package test, as an admin behind NAT would.\n'
                f'ice4j.harvest.mapping.static-mappings = [ {{ local-address = "{local}", '
                f'public-address = "{PUBLIC_ADDRESS}" }} ]\n'
                f'# Added by the package test for graceful_shutdown.sh.\n'
                f'videobridge.rest.shutdown.enabled = true\n'
                f'videobridge.shutdown.shutting-down-delay = 2 seconds\n')


def focus_sees_bridge(focus_secret, nick):
    """Logs in as the focus (TLS checked against the system store, as Jicofo does) and waits for
    the bridge's presence with <stats/> in the brewery: what makes Jicofo use a bridge."""
    import slixmpp  # noqa: E402  (install-deps.sh deb installs python3-slixmpp)

    found = {}

    class Focus(slixmpp.ClientXMPP):
        def __init__(self):
            super().__init__(f"focus@{AUTH_DOMAIN}/focus", focus_secret)
            self.ssl_context = ssl.create_default_context()
            self.failure = None
            self.add_event_handler("session_start", self.joined)
            self.add_event_handler("failed_auth", lambda *_: setattr(self, "failure", "authentication failed"))
            self.add_event_handler("connection_failed", lambda e: setattr(self, "failure", f"connection: {e}"))
            self.add_event_handler("presence", self.presence)

        def joined(self, _):
            p = self.make_presence(pto=f"{BREWERY}/focus")
            p.append(ET.Element(f"{{{NS_MUC}}}x"))
            p.send()

        def presence(self, stanza):
            if str(stanza["from"]) == f"{BREWERY}/{nick}" and stanza.xml.find(f"{{{NS_STATS}}}stats") is not None:
                found["stats"] = stanza.xml.find(f"{{{NS_STATS}}}stats")

    async def main():
        focus = Focus()
        focus.connect(("127.0.0.1", 5222))
        end = time.monotonic() + DEADLINE_S
        while "stats" not in found and focus.failure is None and time.monotonic() < end:
            await asyncio.sleep(0.05)  # polling interval of a bounded wait
        await asyncio.wait_for(focus.disconnect(), DEADLINE_S)
        return focus.failure

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        failure = loop.run_until_complete(main())
    finally:
        # slixmpp leaves tasks behind its disconnect; they end here rather than at exit.
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.close()
    expect(failure is None, f"the focus could not log in: {failure}")
    expect("stats" in found, f"the focus saw no stats presence from {BREWERY}/{nick} in {DEADLINE_S} s")
    names = {s.get("name") for s in found["stats"]}
    expect("stress_level" in names, f"the bridge's stats lack stress_level: {sorted(names)}")


def http_get(path):
    """Status and body of a GET on the private HTTP server; (None, "") when it does not answer."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:8080" + path, timeout=5) as r:
            return r.status, r.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")
    except OSError:
        return None, ""


def check_version_and_stats(deb):
    """The daemon reports the package's version: the package is PROJECT+TAG (build-deb.sh; a
    Debian revision, if one is ever added, is not the daemon's business) and the daemon, which
    always reports PROJECT-SUFFIX, gets TAG as its suffix (debian/rules, -Dversion_tag)."""
    deb_version = run(["dpkg-deb", "-f", deb, "Version"]).stdout.strip()
    upstream = deb_version.rsplit("-", 1)[0]
    expected = upstream.replace("+", "-", 1)
    status, body = http_get("/about/version")
    expect(status == 200, f"/about/version: {status} {body}")
    reported = json.loads(body).get("version")
    expect(reported == expected, f"/about/version says {reported}; the package is {deb_version}, so {expected}")
    printed = run(["/usr/bin/videobridge", "--version"]).stdout.strip()
    expect(printed == f"videobridge {expected}", f"videobridge --version: {printed}")
    # The REST API that the migration turned on: what graceful_shutdown.sh polls.
    status, body = http_get("/colibri/stats")
    expect(status == 200 and json.loads(body).get("participants") == 0, f"/colibri/stats: {status} {body[:300]}")


def graceful_shutdown(bridge):
    """graceful_shutdown.sh as an admin runs it (the default port), with a short poll interval."""
    r = run([GRACEFUL_SHUTDOWN, "-p", str(bridge.pid), "-i", "1", "-t", str(DEADLINE_S)], check=False,
            timeout=2 * DEADLINE_S)
    expect(r.returncode == 0, f"graceful_shutdown.sh exited with {r.returncode}:\n{r.stdout}")
    for text in ("Graceful shutdown started", "No participant left", "The bridge has exited"):
        expect(text in r.stdout, f"graceful_shutdown.sh did not print '{text}':\n{r.stdout}")
    code = bridge.wait(timeout=DEADLINE_S)  # it has exited; this reaps it
    expect(code == 0, f"the bridge exited with {code} after the graceful shutdown")


# --- purge and restore --------------------------------------------------------------------------

def purge(before):
    files = [p for p in run(["dpkg-query", "-L", PACKAGE]).stdout.splitlines()
             if p.startswith("/") and not os.path.isdir(p)]
    run(["dpkg", "--purge", PACKAGE], env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    expect(package_status(PACKAGE).startswith("un"), f"{PACKAGE} is still known to dpkg after the purge")
    left = [p for p in files if os.path.lexists(p)]
    expect(not left, f"files of the package left after the purge: {left}")
    for path in (CONFIG_DIR, LOG_FILE, f"/usr/share/doc/{PACKAGE}",
                 "/etc/systemd/system/multi-user.target.wants/jitsi-videobridge2.service"):
        expect(not os.path.lexists(path), f"{path} is left after the purge")
    if not before.etc_jitsi:
        expect(not os.path.exists("/etc/jitsi"), "/etc/jitsi is left after the purge")
    if not before.log_dir:
        expect(not os.path.exists(LOG_DIR), f"{LOG_DIR} is left after the purge")
    expect(not user_exists("jvb"), "the user jvb is left after the purge")
    if not before.group_jitsi:
        expect(not group_exists("jitsi"), "the group jitsi is left after the purge")
    expect(debconf_mentions("jitsi-videobridge/") == before.debconf, "debconf keeps the package's questions")


def restore(before, prosody):
    """Puts back what the test changed outside the package; every step runs even if one fails."""
    problems = []

    def attempt(what, fn):
        try:
            fn()
        except Exception as e:  # collected and reported together
            problems.append(f"{what}: {e}")

    attempt("stop prosody", lambda: stop_process(prosody, "prosody"))
    if package_status(PACKAGE)[:2] not in ("un", "pn"):
        attempt("purge", lambda: run(["dpkg", "--purge", PACKAGE],
                                     env=dict(os.environ, DEBIAN_FRONTEND="noninteractive")))
    if debconf_mentions("jitsi-videobridge/") != before.debconf:
        # Preseeded answers of a package that never got installed are owned by it alone.
        attempt("debconf", lambda: run(["debconf-communicate", PACKAGE], input="PURGE\n"))
    if os.path.exists(PROSODY_CERT):
        attempt("CA bundle", lambda p=read(PROSODY_CERT): untrust(p))
    stray = [OLD_ENV_FILE] if not before.old_env_file else []
    for path in [PROSODY_CONF_LINK, PROSODY_CONF_AVAIL, PROSODY_CERT, PROSODY_KEY, RUNTIME_DIR,
                 "/tmp/package-test-prosody.out"] + stray:
        if os.path.isdir(path) and not os.path.islink(path):
            attempt(path, lambda p=path: shutil.rmtree(p))
        elif os.path.lexists(path):
            attempt(path, lambda p=path: os.remove(p))
    for path in sorted(tree("/var/lib/prosody") - before.prosody_lib, reverse=True):
        attempt(path, lambda p=path: os.rmdir(p) if os.path.isdir(p) and not os.path.islink(p) else os.remove(p))
    for path in tree("/var/log/prosody"):
        if os.path.isfile(path) and path not in before.prosody_logs:
            attempt(path, lambda p=path: os.remove(p))
        elif path in before.prosody_logs:
            attempt(path, lambda p=path: os.truncate(p, before.prosody_logs[p]))
    if not before.run_prosody and os.path.exists("/run/prosody"):
        attempt("/run/prosody", lambda: shutil.rmtree("/run/prosody"))
    for path, value in before.sysctls.items():
        if read(path).strip() != value:
            attempt(path, lambda p=path, v=value: open(p, "w").write(v + "\n"))
    differences = before.differences(MachineState())
    return problems + differences


# --- main ---------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--deb", help="the package to test (default: build it with `make deb`)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("package: SKIP: needs root (it installs and purges a Debian package)")
        return 77
    started = time.monotonic()
    step_start = [started]

    def step(text):
        now = time.monotonic()
        log(f"{text} ({now - step_start[0]:.1f} s)")
        step_start[0] = now

    try:
        preconditions()
        deb = args.deb or build_deb()
        step(f"built {os.path.basename(deb)}")
    except Failure as e:
        print(f"FAILED: {e}", flush=True)
        return 1

    before = MachineState()
    prosody = bridge = None
    failure = None
    try:
        run(["debconf-set-selections"], input=f"{PACKAGE} jitsi-videobridge/jvb-hostname string {DOMAIN}\n")
        install(deb)
        jvb_secret, nick = check_installed()
        step("installed; files, user, permissions and the debconf secret are right")
        check_migration(deb, jvb_secret)
        step("reinstalled over /etc/default/jitsi-videobridge: config and --apis=rest migrated as JVB does")

        focus_secret = secrets.token_hex(12)
        setup_prosody(jvb_secret, focus_secret)
        prosody = start_prosody()
        step("Prosody runs as jitsi-meet-prosody configures it")

        add_test_settings()
        bridge = start_bridge()
        check_process(bridge)
        focus_sees_bridge(focus_secret, nick)
        expect(bridge.poll() is None, f"the bridge exited with {bridge.returncode}")
        step("the bridge (user jvb, no capabilities) joined the brewery; the focus sees its stats")

        last = [None]

        def healthy():
            last[0] = http_get("/about/health")
            return last[0][0] == 200

        def wait_healthy():
            try:
                wait_until(healthy, "/about/health to answer 200")
            except Failure:
                raise Failure(f"/about/health: {last[0]}")

        wait_healthy()
        check_version_and_stats(deb)
        step("/about/health is 200, /about/version is the package's, /colibri/stats answers")

        graceful_shutdown(bridge)
        step("graceful_shutdown.sh shut the bridge down; it exited with 0")

        bridge = start_bridge()
        check_process(bridge)
        wait_healthy()
        code = stop_process(bridge, "the bridge")
        expect(code in (0, 143), f"the bridge exited with {code} on SIGTERM")
        # Log readers (and people) expect JVB's line format throughout: nothing else may write there.
        stray = [line for line in read(LOG_FILE).splitlines() if not line.startswith("JVB ")]
        expect(not stray, f"lines of {LOG_FILE} not in JVB's format: {stray[:5]}")
        hashes = {p: sha256(p) for p in tree(CONFIG_DIR) if os.path.isfile(p)}
        install(deb)
        expect({p: sha256(p) for p in tree(CONFIG_DIR) if os.path.isfile(p)} == hashes,
               "reinstalling changed the configuration")
        step("started again and stopped cleanly on SIGTERM; a reinstall left the configuration as it was")

        purge(before)
        step("purged: nothing of the package is left")
    except Failure as e:
        failure = str(e)
    except Exception as e:  # an unexpected error is a failure of the test, with its cause
        failure = f"{type(e).__name__}: {e}"
    finally:
        if bridge is not None and bridge.poll() is None:
            try:
                stop_process(bridge, "the bridge")
            except Failure as e:
                failure = failure or str(e)
        if failure and os.path.exists(LOG_FILE):
            print("--- " + LOG_FILE + " (last lines)\n" + "\n".join(read(LOG_FILE).splitlines()[-40:]))
        problems = restore(before, prosody)
    if problems:
        failure = (failure + "\n" if failure else "") + "the machine was not restored:\n  " + "\n  ".join(problems)
    else:
        step("Prosody, the CA store and the kernel settings are as before")
    if failure:
        print(f"FAILED: {failure}", flush=True)
        return 1
    log(f"passed in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
