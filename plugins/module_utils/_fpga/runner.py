# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""fpga_program's body and its ARGSPEC. The flow: source (a private copy, hashed as it is
copied) -> identity -> decide -> (check mode stops) -> lock -> decide again -> tool (given that
copy) -> re-discover -> verify. run(module) returns the
result, or raises ModuleFailure with what was done so far (what was flashed, the tool's
output, the lock wait, ...): every exit says what the device reports now.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import shutil
import time

from ansible_collections.openaccel.cyborg.plugins.module_utils._argspec import ArgumentSpec
from ansible_collections.openaccel.cyborg.plugins.module_utils._discovery.walk import (
    DiscoveryError, discover)
from ansible_collections.openaccel.cyborg.plugins.module_utils._fpga import tools
from ansible_collections.openaccel.cyborg.plugins.module_utils._fpga.bitstream import (
    BitstreamError, identify)
from ansible_collections.openaccel.cyborg.plugins.module_utils._fpga.cache import BitstreamCache
from ansible_collections.openaccel.cyborg.plugins.module_utils._fpga.decide import (
    DecisionError, card_of, decide, loaded_id, normalize_address)
from ansible_collections.openaccel.cyborg.plugins.module_utils._fpga.lock import (
    CardLock, LockTimeout, StagedState)
from ansible_collections.openaccel.cyborg.plugins.module_utils._fpga.source import (
    SourceError, cleanup, resolve)
from ansible_collections.openaccel.cyborg.plugins.module_utils._module import ModuleFailure
from ansible_collections.openaccel.cyborg.plugins.module_utils._openstack.glance import (
    GLANCE_ARGSPEC)
from ansible_collections.openaccel.cyborg.plugins.module_utils._procfs import open_file_users

GLANCE_SPEC = dict(image_id=dict(type="str"), function_id=dict(type="str"),
                   bitstream_id=dict(type="str"))

# fpga_program's options, then Glance's (image_endpoint, token and the OpenStack auth options
# less Placement's endpoint) with their constraints.
ARGSPEC = ArgumentSpec(
    dict(
        device=dict(type="str", required=True),
        src=dict(type="path"),
        url=dict(type="str"),
        checksum=dict(type="str"),
        glance=dict(type="dict", options=GLANCE_SPEC,
                    mutually_exclusive=[["image_id", "function_id", "bitstream_id"]],
                    required_one_of=[["image_id", "function_id", "bitstream_id"]]),
        method=dict(type="str", default="auto", choices=["auto", "opae", "xrt", "fpga_manager"]),
        kind=dict(type="str", default="auto", choices=["auto", "partial", "base", "fim", "bmc"]),
        expected_id=dict(type="str"),
        allow_base_flash=dict(type="bool", default=False),
        force=dict(type="bool", default=False),
        timeout=dict(type="int", default=600),
        lock_dir=dict(type="path", default="/run/lock"),
        cache=dict(type="bool", default=True),
        cache_dir=dict(type="path", default="/var/cache/openaccel/bitstreams"),
        lock_timeout=dict(type="int", default=300),
        sysfs_root=dict(type="path", default="/sys"),
        firmware_dir=dict(type="path", default="/lib/firmware"),
    ),
    mutually_exclusive=[["src", "url", "glance"]],
    required_one_of=[["src", "url", "glance"]],
).merged(GLANCE_ARGSPEC)

XRT_BIN = "/opt/xilinx/xrt/bin"
TOOL_PACKAGES = {"fpgaconf": "OPAE (opae-tools)", "fpgasupdate": "OPAE (opae-tools-extra)",
                 "xbutil": "Xilinx XRT (xrt)", "xbmgmt": "Xilinx XRT (xrt)"}


_PLANNED = object()


def _records(sysfs_root):
    try:
        return discover(sysfs_root)[0]
    except DiscoveryError as exc:
        raise ModuleFailure(str(exc))


def _bitstream_summary(info, source):
    keep = ("format", "size", "afu_id", "afu_ids", "interface_id", "interface_ids", "uuid",
            "platform_vbnv", "logic_uuid", "afu_name", "platform_name", "mode")
    out = dict((k, info[k]) for k in keep if k in info)
    out.update(sha256=source["sha256"], origin=source["origin"])
    for key in ("url", "image_id", "image_name", "image_properties", "cached"):
        if key in source:
            out[key] = source[key]
    if source["origin"] == "file":
        out["path"] = source["src"]
    return out


def _diff(plan, after):
    field = plan["id_field"] or "image_sha256"
    return {"before": {"device": plan["target"], field: plan["loaded_id"]},
            "after": {"device": plan["target"], field: after}}


class Runner(object):
    def __init__(self, module, params=None, glance_client=None):
        self.module = module
        self.p = params or module.params
        self.glance_client = glance_client
        self.result = {"changed": False}
        self.source = None

    # -- phases ------------------------------------------------------------------------
    def _decide(self, records, info):
        staged = self.staged
        try:
            return decide(records, self.p, info, self.source["sha256"], staged=staged.get)
        except DecisionError as exc:
            raise ModuleFailure(str(exc))

    def _publish(self, plan, after=_PLANNED):
        """Result fields from the plan; ``after`` is the re-read id (default: the plan's)."""
        after = plan["wanted_id"] if after is _PLANNED else after
        self.result.update(
            device=plan["device"], target=plan["target"], method=plan["method"],
            kind=plan["kind"], tool=plan["tool"], loaded_id_before=plan["loaded_id"],
            loaded_id_after=plan["loaded_id"] if plan["action"] == "none" else after,
            wanted_id=plan["wanted_id"], id_field=plan["id_field"],
            device_interface_id=plan["interface_id"], reboot_required=plan["reboot_required"],
            action=plan["action"], reason=plan["reason"])
        if self.module._diff:
            self.result["diff"] = _diff(plan, self.result["loaded_id_after"])

    def _busy_check(self, plan):
        users = open_file_users(plan["dev_nodes"])
        if users and not self.p["force"]:
            holders = ", ".join("pid %d (%s)" % kv for kv in sorted(users.items()))
            raise ModuleFailure("device busy: %s is open by %s; nothing was programmed. Stop "
                                "those processes, or set force: true"
                                % (", ".join(plan["dev_nodes"]), holders),
                                device_users=users)

    def _executable(self, name):
        path = shutil.which(name) or self.module.get_bin_path(name, opt_dirs=[XRT_BIN])
        if not path:
            raise ModuleFailure("%s not found on the target (PATH or %s); install %s"
                                % (name, XRT_BIN, TOOL_PACKAGES.get(name, name)))
        return path

    def _run_tool(self, plan):
        if plan["tool"] == "fpga_manager":
            managers = self.records_by_addr[plan["target"]]["fpga"]["managers"]
            try:
                out = tools.fpga_manager_load(self.p["sysfs_root"], plan["target"],
                                              managers[0]["name"], self.source["path"],
                                              self.source["sha256"], self.p["firmware_dir"])
            except tools.ToolError as exc:
                raise ModuleFailure(str(exc))
            return {"argv": ["fpga_manager", managers[0]["name"], out["firmware"]], "rc": 0,
                    "stdout": "state: %s" % out["state"], "stderr": "", "timed_out": False,
                    "seconds": 0.0, "manager_state": out["state"]}
        argv = tools.command(plan, self.source["path"], force=self.p["force"])
        argv[0] = self._executable(argv[0])
        try:
            return tools.run_tool(argv, self.p["timeout"])
        except tools.ToolError as exc:
            raise ModuleFailure(str(exc))

    def _after(self, plan):
        records = _records(self.p["sysfs_root"])
        return loaded_id(records, plan), records

    def _tool_failed(self, plan, res, after):
        changed = after != plan["loaded_id"]
        state = ("the device now reports %s=%s (before: %s)"
                 % (plan["id_field"], after, plan["loaded_id"]) if plan["id_field"]
                 else "the device state is unknown")
        if res["timed_out"]:
            msg = ("%s did not finish within timeout=%ss and was killed; %s. Check the card "
                   "(dmesg), then re-run; raise timeout if the tool is just slow"
                   % (plan["tool"], self.p["timeout"], state))
        elif tools.looks_busy(res):
            msg = ("device busy: %s refused (rc=%s) because the device is in use; %s. Stop the "
                   "users of %s, or set force: true"
                   % (plan["tool"], res["rc"], state, plan["target"]))
        else:
            msg = "%s failed (rc=%s); %s. Tool output: %s" % (
                plan["tool"], res["rc"], state, (res["stderr"] or res["stdout"]).strip()[-500:])
        self._publish(plan, after)
        self.result["changed"] = changed
        raise ModuleFailure(msg)

    def _verify(self, plan, res, after):
        self._publish(plan, after)
        kind = plan["kind"]
        if plan["tool"] == "fpga_manager":
            if res.get("manager_state") != "operating":
                self.staged.clear(kind)
                self.result["changed"] = True
                raise ModuleFailure("fpga_manager state after loading is %r, not 'operating'; "
                                    "the image is not running" % res.get("manager_state"))
            self.staged.put(kind, self.source["sha256"], None, plan["tool"])
            self.result.update(changed=True, verified=True, loaded_id_after=plan["wanted_id"])
            return
        if after == plan["wanted_id"] and plan["id_field"]:
            self.staged.clear(kind)
            self.result.update(changed=True, verified=True)
            return
        if kind in ("base", "fim", "bmc"):
            # Flash updates take effect at the next cold boot (or RSU): recorded, not claimed.
            self.staged.put(kind, self.source["sha256"], plan["wanted_id"], plan["tool"])
            self.result.update(changed=True, verified=False, reboot_required=True,
                               loaded_id_after=after)
            self.module.warn("%s flashed %s on %s; it becomes active after a cold reboot"
                             % (plan["tool"], kind, plan["card"]))
            return
        self.result["changed"] = after != plan["loaded_id"]
        raise ModuleFailure("verification failed: %s exited 0 but %s on %s reads %s, expected "
                            "%s; the device is not running the requested bitstream. Tool "
                            "output: %s"
                            % (plan["tool"], plan["id_field"], plan["target"], after,
                               plan["wanted_id"], (res["stdout"] or res["stderr"]).strip()[-500:]))

    # -- entry point -------------------------------------------------------------------
    def run(self):
        p = self.p
        try:
            card = card_of(normalize_address(p["device"]))
        except DecisionError as exc:
            raise ModuleFailure(str(exc))
        self.staged = StagedState(p["lock_dir"], card)
        try:
            cache = BitstreamCache(p["cache_dir"] if p["cache"] else None,
                                   writable=not self.module.check_mode)
            self.source = resolve(p, self.module.tmpdir, self.glance_client, cache)
            info = identify(self.source["path"])  # the private copy: what the tool gets
        except SourceError as exc:
            raise ModuleFailure(str(exc))
        except BitstreamError as exc:
            raise ModuleFailure("src: %s is not a usable bitstream: %s"
                                % (self.source.get("src", self.source["path"]), exc))
        except (IOError, OSError) as exc:
            raise ModuleFailure("src: cannot read %s: %s"
                                % (self.source.get("src", self.source["path"]), exc))
        self.result["bitstream"] = _bitstream_summary(info, self.source)
        plan = self._decide(_records(p["sysfs_root"]), info)
        self._publish(plan)
        if plan["action"] != "program":
            self.result["msg"] = plan["reason"]
            return self.result
        if self.module.check_mode:
            self.result.update(changed=True, msg="would program %s with %s (%s)"
                               % (plan["target"], plan["tool"], plan["reason"]))
            return self.result
        self._busy_check(plan)
        lock = CardLock(p["lock_dir"], card, p["lock_timeout"])
        try:
            lock.acquire()
        except LockTimeout as exc:
            raise ModuleFailure(str(exc))
        try:
            records = _records(p["sysfs_root"])
            self.records_by_addr = dict((r["address"], r) for r in records)
            plan = self._decide(records, info)  # another run may have done it meanwhile
            self._publish(plan)
            self.result["lock_waited_s"] = round(lock.waited, 3)
            if plan["action"] != "program":
                self.result["msg"] = plan["reason"]
                return self.result
            res = self._run_tool(plan)
            self.result["tool_result"] = res
            after, _records_after = self._after(plan)
            if res["rc"] != 0 or res["timed_out"]:
                self._tool_failed(plan, res, after)
            self._verify(plan, res, after)
            self.result["msg"] = "programmed %s with %s: %s=%s" % (
                plan["target"], plan["tool"], plan["id_field"] or "image_sha256",
                self.result["loaded_id_after"])
            return self.result
        finally:
            lock.release()


def run(module, glance_client=None):
    """The body: the result dict, or ModuleFailure carrying the result fields gathered so far
    (a failure's own fields, such as device_users, added). A downloaded copy is removed
    either way."""
    runner = Runner(module, glance_client=glance_client)
    started = time.monotonic()
    try:
        result = runner.run()
        result["seconds"] = round(time.monotonic() - started, 3)
        return result
    except ModuleFailure as failure:
        raise ModuleFailure(failure.msg, **dict(runner.result, seconds=round(time.monotonic() - started, 3), **failure.result))
    finally:
        cleanup(runner.source, module.tmpdir)
