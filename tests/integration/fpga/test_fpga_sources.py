# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""fpga_program sources: URL with a mandatory checksum, and a Glance image found by id or by
Cyborg's accel:function_id / accel:bitstream_id properties (a stdlib fake of the Image API v2
on 127.0.0.1, with token checking)."""

import hashlib
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlparse

import pytest

from tests.fixtures import bitstreams as fx

PF = "0000:3b:00.0"
TOKEN = "s3cr3t-token"


class Store(object):
    def __init__(self):
        self.files, self.images, self.requests = {}, {}, []


def handler_for(store):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, code, body, ctype="application/json"):
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            url = urlparse(self.path)
            store.requests.append((self.path, self.headers.get("X-Auth-Token")))
            if url.path.startswith("/files/"):
                name = url.path[len("/files/"):]
                return self._send(200, store.files[name], "application/octet-stream") \
                    if name in store.files else self._send(404, {"error": "no"})
            if self.headers.get("X-Auth-Token") != TOKEN:
                return self._send(401, {"error": "unauthorized"})
            parts = url.path.strip("/").split("/")
            if parts == ["v2", "images"]:
                query = dict(parse_qsl(url.query))
                found = [i for i in store.images.values()
                         if all(i["meta"].get(k) == v for k, v in query.items())]
                return self._send(200, {"images": [i["meta"] for i in found]})
            if len(parts) >= 3 and parts[:2] == ["v2", "images"] and parts[2] in store.images:
                image = store.images[parts[2]]
                if len(parts) == 3:
                    return self._send(200, image["meta"])
                return self._send(200, image["data"], "application/octet-stream")
            return self._send(404, {"error": "not found"})
    return Handler


@pytest.fixture
def server():
    store = Store()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(store))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    store.url = "http://127.0.0.1:%d" % httpd.server_address[1]
    yield store
    httpd.shutdown()


def add_image(store, image_id, data, os_hash=None, **props):
    meta = {"id": image_id, "name": "afu-" + image_id[:4], "status": "active",
            "os_hash_algo": "sha512",
            "os_hash_value": os_hash or hashlib.sha512(data).hexdigest()}
    meta.update(props)
    store.images[image_id] = {"meta": meta, "data": data}


def test_url_needs_a_checksum_and_verifies_it(dfl, server):
    data = fx.gbs_bytes()
    server.files["nlb0.gbs"] = data
    url = server.url + "/files/nlb0.gbs"
    code, res = dfl.module({"device": PF, "url": url})
    assert code != 0 and res["msg"].startswith("checksum: required with url")
    code, res = dfl.module({"device": PF, "url": url, "checksum": "sha256:" + "1" * 64})
    assert code != 0 and "checksum mismatch" in res["msg"] and dfl.calls() == []
    assert not res["changed"]
    for check, changed in ((True, True), (False, True), (False, False)):
        code, res = dfl.module({"device": PF, "url": url, "checksum": fx.sha256(data)},
                               check=check)
        assert code == 0 and res["changed"] is changed
        assert res["bitstream"]["origin"] == "url" and res["bitstream"]["url"] == url
    assert len(dfl.calls("programmed")) == 1


def test_url_download_error_is_reported(dfl, server):
    code, res = dfl.module({"device": PF, "url": server.url + "/files/missing.gbs",
                            "checksum": "sha256:" + "1" * 64})
    assert code != 0 and res["msg"].startswith("url: cannot download") and "404" in res["msg"]


def glance_args(server, **glance):
    return {"device": PF, "glance": glance, "image_endpoint": server.url, "token": TOKEN}


def test_glance_by_cyborg_function_id_then_idempotent(dfl, server):
    data = fx.gbs_bytes()
    add_image(server, "6a3e0c1e-5a52-4a0e-9d8a-4f5f3c1d2b10", data,
              **{"accel:function_id": "fn-nlb0", "accel:bitstream_id": "bs-1"})
    add_image(server, "7b3e0c1e-5a52-4a0e-9d8a-4f5f3c1d2b11", fx.gbs_bytes(afu_id=fx.HE_LB_AFU),
              **{"accel:function_id": "fn-helb"})
    code, res = dfl.module(glance_args(server, function_id="fn-nlb0"))
    assert code == 0 and res["changed"] and res["verified"]
    assert res["bitstream"]["image_id"] == "6a3e0c1e-5a52-4a0e-9d8a-4f5f3c1d2b10"
    assert res["bitstream"]["image_properties"] == {"function_id": "fn-nlb0",
                                                    "bitstream_id": "bs-1"}
    assert TOKEN not in json.dumps(res)  # no_log
    code, res = dfl.module(glance_args(server, bitstream_id="bs-1"))
    assert code == 0 and not res["changed"]
    code, res = dfl.module(glance_args(server, image_id="7b3e0c1e-5a52-4a0e-9d8a-4f5f3c1d2b11"),
                           check=True, diff=True)
    assert code == 0 and res["changed"]
    assert res["diff"]["after"]["afu_id"] == fx.HE_LB_AFU.replace("-", "")
    assert all(token == TOKEN for path, token in server.requests if path.startswith("/v2/"))


def test_glance_hash_mismatch_and_ambiguity_touch_nothing(dfl, server):
    data = fx.gbs_bytes()
    add_image(server, "8c3e0c1e-5a52-4a0e-9d8a-4f5f3c1d2b12", data, os_hash="0" * 128,
              **{"accel:function_id": "fn-bad"})
    code, res = dfl.module(glance_args(server, function_id="fn-bad"))
    assert code != 0 and "Glance recorded" in res["msg"] and dfl.calls() == []
    add_image(server, "9d3e0c1e-5a52-4a0e-9d8a-4f5f3c1d2b13", data, **{"accel:function_id": "dup"})
    add_image(server, "ae3e0c1e-5a52-4a0e-9d8a-4f5f3c1d2b14", data, **{"accel:function_id": "dup"})
    code, res = dfl.module(glance_args(server, function_id="dup"))
    assert code != 0 and "2 active images have accel:function_id=dup" in res["msg"]
    code, res = dfl.module(dict(glance_args(server, image_id="nope"), token="wrong"))
    assert code != 0 and "401" in res["msg"]
    assert dfl.calls() == [] and not res["changed"]


def test_url_download_is_cached_by_digest(dfl, server):
    """A converge of a card that already runs the image reads the cache, not the network; a
    damaged entry is downloaded anew; check mode never writes the cache."""
    data = fx.gbs_bytes()
    server.files["nlb0.gbs"] = data
    args = {"device": PF, "url": server.url + "/files/nlb0.gbs", "checksum": fx.sha256(data)}

    def downloads():
        return sum(1 for path, _token in server.requests if path.startswith("/files/"))

    code, res = dfl.module(args, check=True)
    assert code == 0 and res["changed"] and res["bitstream"]["cached"] is False
    assert not os.path.exists(dfl.cache_dir)        # check mode wrote nothing
    code, res = dfl.module(args)
    assert code == 0 and res["changed"] and res["bitstream"]["cached"] is False
    assert downloads() == 2
    entry = os.path.join(dfl.cache_dir, fx.sha256(data).replace(":", "-"))
    assert os.path.isfile(entry) and oct(os.stat(dfl.cache_dir).st_mode & 0o777) == "0o700"
    code, res = dfl.module(args)
    assert code == 0 and not res["changed"] and res["bitstream"]["cached"] is True
    assert downloads() == 2                         # the no-op run did not download
    with open(entry, "r+b") as handle:              # damage the entry
        handle.write(b"\0" * 16)
    code, res = dfl.module(args)
    assert code == 0 and not res["changed"] and res["bitstream"]["cached"] is False
    with open(entry, "rb") as handle:
        assert downloads() == 3 and handle.read() == data  # downloaded anew, entry replaced
    code, res = dfl.module(dict(args, cache=False))
    assert code == 0 and res["bitstream"]["cached"] is False and downloads() == 4


def _hex(data):
    return hashlib.sha256(data).hexdigest()


def test_a_cache_entry_replaced_while_waiting_for_the_lock_is_not_flashed(dfl, server):
    """A cache hit is copied (and hashed while copied) before the run waits for the card
    lock: rewriting the shared cache entry meanwhile does not reach the tool."""
    good, evil = fx.gbs_bytes(rbf_size=512), fx.gbs_bytes(rbf_size=2048)  # same AFU id
    server.files["nlb0.gbs"] = good
    add_image(server, "bf3e0c1e-5a52-4a0e-9d8a-4f5f3c1d2b15", good)
    env = dfl.tee_tools()
    url_args = {"device": PF, "url": server.url + "/files/nlb0.gbs", "checksum": fx.sha256(good)}
    glance = glance_args(server, image_id="bf3e0c1e-5a52-4a0e-9d8a-4f5f3c1d2b15")
    entries = (fx.sha256(good).replace(":", "-"),
               "sha512-" + hashlib.sha512(good).hexdigest())
    for args, entry in zip((url_args, glance), entries):
        code, res = dfl.module(args, env=env)  # downloads, programs, fills the cache
        assert code == 0 and res["changed"] and res["bitstream"]["cached"] is False
        dfl.unload_afu(PF)
        code, res = dfl.swap_while_waiting(args, os.path.join(dfl.cache_dir, entry), evil,
                                           env=env, in_place=True)
        assert code == 0 and res["changed"] and res["verified"], res
        assert res["bitstream"]["cached"] is True and res["bitstream"]["sha256"] == _hex(good)
        assert dfl.received()[-1] == _hex(good), "the tool was handed the rewritten entry"
        dfl.unload_afu(PF)
    assert dfl.received() == [_hex(good)] * 4
