#!/usr/bin/python3
"""colibri-ws against the real daemon (as JVB's ColibriWebSocketServlet and doc/web-sockets.md): with
videobridge.websockets enabled and the public HTTP server on, the Colibri2 answer carries one
web-socket URL per configured domain; a client (python3-websockets, an independent WebSocket
stack) that dials it gets ServerHello first, then speaks the bridge channel: ClientHello is
answered, an EndpointMessage reaches the other endpoint with `from` set, and a message that does
not parse is dropped without closing the socket. A wrong pwd is refused with 403 before the upgrade, a wrong server id
with 404, and the socket is closed with 1001 when the endpoint expires.

Usage: colibri_ws_test.py VIDEOBRIDGE_BINARY ws"""

import asyncio
import json
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemon_test as d  # noqa: E402

try:
    import websockets  # noqa: E402
except ImportError:  # installed by tools/install-deps.sh test
    websockets = None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def endpoint(eid):
    return {"id": eid, "create": True, "capabilities": ["source-names"], "transport": {"ice-controlling": True}}


async def receive_class(ws, colibri_class, timeout=d.DEADLINE_S):
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if message.get("colibriClass") == colibri_class:
            return message


async def refused(url, status):
    try:
        async with websockets.connect(url, open_timeout=d.DEADLINE_S):
            d.expect(False, f"{url} was accepted")
    except websockets.exceptions.InvalidStatusCode as e:
        d.expect(e.status_code == status, f"{url}: status {e.status_code}, expected {status}")


async def talk(base, urls):
    a_url, b_url = urls["a"], urls["b"]
    await refused(a_url.replace("pwd=", "pwd=x"), 403)
    await refused(a_url.replace("/default-id/", "/other-id/"), 404)
    async with websockets.connect(a_url) as a, websockets.connect(b_url) as b:
        first = json.loads(await asyncio.wait_for(a.recv(), d.DEADLINE_S))
        d.expect(first.get("colibriClass") == "ServerHello", f"first message {first}")
        await a.send(json.dumps({"colibriClass": "ClientHello"}))
        await receive_class(a, "ServerHello")
        await a.send(json.dumps({"colibriClass": "EndpointMessage", "to": "", "from": "spoof",
                                 "msgPayload": {"n": 7}}))
        relayed = await receive_class(b, "EndpointMessage")
        d.expect(relayed["from"] == "a" and relayed["msgPayload"] == {"n": 7}, f"relayed {relayed}")
        await b.send(json.dumps({"colibriClass": "ReceiverVideoConstraints", "lastN": 0}))
        await a.send("{not json")  # dropped and counted, the socket stays up
        await a.send(json.dumps({"colibriClass": "ClientHello"}))
        await receive_class(a, "ServerHello")
        print("  ServerHello on connect and for ClientHello, EndpointMessage relayed with from set")
        # Expiring the endpoint closes its socket with 1001.
        status, body = d.call("PATCH", base, {"endpoints": [{"id": "a", "expire": True}]})
        d.expect(status == 200, f"expire: {status} {body}")
        try:
            while True:
                await asyncio.wait_for(a.recv(), d.DEADLINE_S)
        except websockets.exceptions.ConnectionClosed as e:
            d.expect(e.code == 1001, f"close code {e.code} {e.reason}")
            print(f"  expired endpoint's socket closed: {e.code} {e.reason}")


def case_ws(tmp):
    if websockets is None:
        print("skipped: python3-websockets is not installed")
        return
    port = free_port()
    conf = d.BASE_CONF + f"""
videobridge.apis.rest.enabled = true
ice4j.harvest.allowed-addresses = [ "127.0.0.1" ]
videobridge.http-servers.public.port = {port}
videobridge.http-servers.public.host = "127.0.0.1"
videobridge.websockets {{ enabled = true, domains = [ "127.0.0.1:{port}" ], tls = false }}
"""
    daemon = d.Daemon(["--config", d.write_conf(tmp, conf)])
    base = daemon.url() + "colibri/v2/conferences"
    request = {"meeting-id": "m-ws", "name": "room@conference.example.org", "create": True,
               "endpoints": [endpoint("a")]}
    status, body = d.call("POST", base, request)
    d.expect(status == 200, f"create a: {status} {body}")
    answers = json.loads(body)["endpoints"]
    status, body = d.call("PATCH", base + "/m-ws", {"endpoints": [endpoint("b")]})
    d.expect(status == 200, f"create b: {status} {body}")
    answers += json.loads(body)["endpoints"]
    urls = {}
    for e in answers:
        sockets = e["transport"]["transport"].get("web-sockets", [])
        d.expect(len(sockets) == 1, f"{e['id']}: web-sockets {sockets}")
        urls[e["id"]] = sockets[0]  # JSON form: the URLs themselves
        d.expect(urls[e["id"]].startswith(f"ws://127.0.0.1:{port}/colibri-ws/default-id/"), urls[e["id"]])
    print(f"  advertised {urls['a']}")
    asyncio.run(talk(daemon.url() + "colibri/v2/conferences/m-ws", urls))


if __name__ == "__main__":
    sys.exit(d.run_named_case(globals(), sys.argv))
