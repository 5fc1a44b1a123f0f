# -*- coding: utf-8 -*-
# Copyright: (c) openaccel.cyborg developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for plugins/module_utils/_nvml/enrich.py against a fake pynvml built from real
nvidia-smi captures (tests/fixtures/nvml) and the real pynvml (session.py, mig.py names and the
import layering: test_nvml_session.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os
import sys

import pytest

from ansible_collections.openaccel.cyborg.plugins.module_utils._nvml import enrich as _nvml
from ansible_collections.openaccel.cyborg.tests.fixtures.nvml import (
    capture_bus_ids, capture_pci_functions, make_fake_pynvml, parse_capture, real_pynvml)

SCHEMA = os.path.join(os.path.dirname(os.path.realpath(__file__)),
                      "..", "..", "..", "..", "..", "schemas", "device.schema.json")

H100_UUIDS = [
    "GPU-566e6f65-c38e-b12f-4824-6944218668b9", "GPU-9930d717-21dd-7692-054e-3d0a2bae76b5",
    "GPU-973565ff-45cf-12ea-4e91-33386720f7bb", "GPU-6b932a61-abfd-5ea1-b26a-7dea7f2fa601",
    "GPU-726d356b-f548-bbfd-c81e-b9c68f2f1587", "GPU-06db64f6-6181-5a90-cf95-5ce52a58c4e5",
    "GPU-a5271aa6-4cdb-28c7-0ef5-5da271d0caae", "GPU-7e78e6c8-c71c-66c7-9ded-f8836cecab32",
]
H100_BUS_IDS = ["0000:53:00.0", "0000:64:00.0", "0000:75:00.0", "0000:86:00.0",
                "0000:97:00.0", "0000:a8:00.0", "0000:b9:00.0", "0000:ca:00.0"]


def record(address, vendor_id="10de", type_="gpu", **extra):
    rec = {"address": address, "vendor_id": vendor_id, "type": type_, "driver": "nvidia",
           "dev_nodes": ["/dev/dri/card1"], "errors": []}
    rec.update(extra)
    return rec


def records_for(capture):
    return [record(address) for address in capture_bus_ids(capture)]


def enrich(capture, records=None, mode="auto", **fake_options):
    fake = make_fake_pynvml(capture, **fake_options)
    records = records_for(capture) if records is None else records
    status = _nvml.enrich_nvidia(records, mode, import_module=lambda name: fake)
    return status, records, fake.fake


@pytest.fixture(scope="module")
def gpu_schema():
    jsonschema = pytest.importorskip("jsonschema")
    with open(SCHEMA) as handle:
        schema = json.load(handle)
    sub = dict(schema["properties"]["gpu"])
    sub["$defs"] = schema["$defs"]
    return lambda gpu: jsonschema.validate(gpu, sub)


def test_h100_8gpu(gpu_schema):
    status, records, fake = enrich("h100_8gpu")
    assert status == {
        "available": True, "reason": None, "driver_version": "535.183.01",
        "cuda_driver_version": "12.2", "device_count": 8, "matched": 8,
        "unmatched_nvml_bus_ids": [], "unmatched_records": []}
    assert [r["address"] for r in records] == H100_BUS_IDS
    assert [r["gpu"]["uuid"] for r in records] == H100_UUIDS
    for index, rec in enumerate(records):
        gpu = rec["gpu"]
        gpu_schema(gpu)
        assert gpu["source"] == "nvml" and gpu["nvml_error"] is None
        assert gpu["name"] == "NVIDIA H100 80GB HBM3"
        assert gpu["memory_total_mib"] == 81559
        assert gpu["driver_version"] == "535.183.01"
        assert gpu["cuda_driver_version"] == "12.2"
        assert gpu["compute_capability"] == "9.0"
        assert gpu["persistence_mode"] is True
        assert gpu["index"] == index and gpu["minor_number"] == index
        mig = dict(gpu["mig"])
        offered = mig.pop("profiles")
        assert mig == {"capable": True, "mode_current": False, "mode_pending": False,
                       "instances": []}
        assert offered[0].startswith("1g.") and offered[-1].startswith("7g."), offered
        assert rec["dev_nodes"] == ["/dev/dri/card1", "/dev/nvidia%d" % index]
        assert rec["errors"] == []
    assert records[0]["gpu"]["serial"] == "1655022005478"
    assert fake.init_calls == 1 and fake.shutdown_calls == 1 and fake.initialized == 0


def test_a100_minor_numbers_follow_the_capture_not_the_index():
    status, records, dummy = enrich("a100_8gpu")
    assert status["driver_version"] == "525.60.13" and status["cuda_driver_version"] == "12.0"
    assert [r["gpu"]["minor_number"] for r in records] == [2, 3, 0, 1, 6, 7, 4, 5]
    assert records[0]["dev_nodes"][-1] == "/dev/nvidia2"
    assert {r["gpu"]["compute_capability"] for r in records} == {"8.0"}


def test_a100_mig(gpu_schema):
    status, records, dummy = enrich("a100_mig")
    assert status["matched"] == 1 and status["driver_version"] == "535.54.03"
    gpu = records[0]["gpu"]
    gpu_schema(gpu)
    assert records[0]["address"] == "0000:01:00.0"
    assert gpu["uuid"] == "GPU-513536b6-7d19-9063-b049-1e69664bb298"
    assert gpu["minor_number"] == 1 and gpu["memory_total_mib"] == 81920
    assert gpu["persistence_mode"] is False
    mig = gpu["mig"]
    assert mig["capable"] is True
    assert mig["mode_current"] is True and mig["mode_pending"] is True
    instances = mig["instances"]
    assert [(i["gpu_instance_id"], i["compute_instance_id"]) for i in instances] == [
        (3, 0), (4, 0), (5, 0), (6, 0)]
    # 14 SMs and 19968 MiB on an 80 GB A100 is profile 15, "1g.20gb"
    assert {i["profile"] for i in instances} == {"1g.20gb"}
    assert {i["profile_id"] for i in instances} == {15}
    assert [(i["placement_start"], i["placement_size"]) for i in instances] == [
        (0, 2), (2, 2), (4, 2), (6, 2)]
    assert {i["memory_mib"] for i in instances} == {19968}
    assert {i["multiprocessor_count"] for i in instances} == {14}
    uuids = [i["uuid"] for i in instances]
    assert len(set(uuids)) == 4 and all(u.startswith("MIG-") for u in uuids)
    assert records[0]["errors"] == []


def test_mig_enable_pending_reset():
    """After `nvidia-smi -i 0 -mig 1`, before the GPU reset: pending differs."""
    capture = parse_capture("h100_8gpu")
    capture.gpus[0].mig_pending = True
    dummy, records, dummy2 = enrich(capture, records=records_for("h100_8gpu"))
    mig = dict(records[0]["gpu"]["mig"])
    assert mig.pop("profiles")
    assert mig == {"capable": True, "mode_current": False, "mode_pending": True,
                   "instances": []}
    assert records[1]["gpu"]["mig"]["mode_pending"] is False


def test_a100_mig_without_gpu_instance_permission():
    """Non-root: GI handles are refused; names still come from the attributes."""
    dummy, records, dummy2 = enrich("a100_mig", gi_permission=False)
    instances = records[0]["gpu"]["mig"]["instances"]
    assert [i["profile"] for i in instances] == ["1g.20gb"] * 4
    assert {i["profile_id"] for i in instances} == {None}
    assert {i["placement_start"] for i in instances} == {None}
    assert records[0]["errors"] == []


def test_t4_mig_not_supported(gpu_schema):
    status, records, dummy = enrich("t4")
    gpu = records[0]["gpu"]
    gpu_schema(gpu)
    assert status["cuda_driver_version"] == "11.7"
    assert records[0]["address"] == "0000:00:1e.0"
    assert gpu["name"] == "Tesla T4" and gpu["memory_total_mib"] == 15360
    assert gpu["compute_capability"] == "7.5"
    assert gpu["mig"] == {"capable": False, "mode_current": None, "mode_pending": None,
                          "instances": []}
    assert records[0]["errors"] == []     # NotSupported is not an error


def test_a10g():
    status, records, dummy = enrich("a10g")
    gpu = records[0]["gpu"]
    assert status["driver_version"] == "515.105.01"
    assert gpu["uuid"] == "GPU-9a9a6c50-2a47-2f51-a902-b82c3b127e94"
    assert gpu["name"] == "NVIDIA A10G" and gpu["memory_total_mib"] == 23028
    assert gpu["compute_capability"] == "8.6" and gpu["mig"]["capable"] is False


def test_old_pynvml_bytes_strings():
    dummy, records, dummy2 = enrich("a10", bytes_strings=True)
    gpu = records[0]["gpu"]
    assert gpu["uuid"] == "GPU-73d12ef7-f589-f867-4259-c7090ab44736"
    assert gpu["name"] == "NVIDIA A10" and gpu["driver_version"] == "535.129.03"


def test_nvml_device_without_pci_record_and_other_records_untouched():
    records = records_for("h100_8gpu")
    missing = records.pop(3)
    others = [record("0000:02:00.0", vendor_id="8086", type_="qat"),
              record("0000:03:00.0", type_="other")]   # e.g. an NVSwitch
    before = copy.deepcopy(others)
    status, dummy, dummy2 = enrich("h100_8gpu", records=records + others)
    assert status["device_count"] == 8 and status["matched"] == 7
    assert status["unmatched_nvml_bus_ids"] == [missing["address"]] == ["0000:86:00.0"]
    assert others == before


def test_gpu_record_unseen_by_nvml():
    records = records_for("t4") + [record("0000:00:1f.0", driver="vfio-pci")]
    status, records, dummy = enrich("t4", records=records)
    assert status["unmatched_records"] == ["0000:00:1f.0"]
    assert records[1]["gpu"] == {"source": "sysfs",
                                 "nvml_error": "not enumerated by NVML (bound to vfio-pci)"}


def test_uppercase_record_address_is_matched():
    records = [record("0000:CA:00.0")]
    status, records, dummy = enrich("h100_8gpu", records=records)
    assert status["matched"] == 1 and records[0]["gpu"]["uuid"] == H100_UUIDS[7]


def test_failing_call_becomes_none_and_error():
    fail = {"nvmlDeviceGetSerial": real_pynvml.NVML_ERROR_NO_PERMISSION,
            "nvmlDeviceGetPersistenceMode": real_pynvml.NVML_ERROR_NOT_SUPPORTED}
    dummy, records, fake = enrich("a10", fail=fail)
    gpu = records[0]["gpu"]
    assert gpu["serial"] is None and gpu["persistence_mode"] is None
    assert gpu["uuid"] == "GPU-73d12ef7-f589-f867-4259-c7090ab44736"
    assert len(records[0]["errors"]) == 1
    assert "gpu.serial" in records[0]["errors"][0]
    assert "NVMLError_NoPermission" in records[0]["errors"][0]
    assert fake.shutdown_calls == 1


def test_driver_not_loaded_in_fake():
    records = records_for("h100_8gpu") + [record("0000:02:00.0", vendor_id="8086", type_="qat")]
    records[0]["gpu"] = {"kept": 1}
    status, records, fake = enrich("h100_8gpu", records=records,
                                   init_error=real_pynvml.NVML_ERROR_DRIVER_NOT_LOADED)
    assert status["available"] is False
    assert "NVMLError_DriverNotLoaded" in status["reason"]
    assert records[0]["gpu"] == {"kept": 1, "source": "sysfs", "nvml_error": status["reason"]}
    assert all(r["gpu"]["source"] == "sysfs" for r in records[:8])
    assert "gpu" not in records[8]
    assert [r["dev_nodes"] for r in records[:8]] == [["/dev/dri/card1"]] * 8
    assert fake.shutdown_calls == 0


def test_driver_not_loaded_required_raises():
    with pytest.raises(_nvml.NvmlRequiredError) as info:
        enrich("t4", mode="required", init_error=real_pynvml.NVML_ERROR_DRIVER_NOT_LOADED)
    assert "NVMLError_DriverNotLoaded" in info.value.reason


def test_missing_pynvml_import_error():
    def no_pynvml(name):
        raise ImportError("No module named %r" % name)
    records = records_for("a10")
    status = _nvml.enrich_nvidia(records, "auto", import_module=no_pynvml)
    assert status["available"] is False and "pynvml" in status["reason"]
    assert records[0]["gpu"] == {"source": "sysfs", "nvml_error": status["reason"]}
    with pytest.raises(_nvml.NvmlRequiredError):
        _nvml.enrich_nvidia(records_for("a10"), "required", import_module=no_pynvml)


def test_fake_in_sys_modules_is_honoured(monkeypatch):
    fake = make_fake_pynvml("t4")
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    records = records_for("t4")
    assert _nvml.enrich_nvidia(records, "auto")["matched"] == 1
    assert records[0]["gpu"]["name"] == "Tesla T4"
    monkeypatch.setitem(sys.modules, "pynvml", None)      # import blocked
    status = _nvml.enrich_nvidia(records_for("t4"), "auto")
    assert status["available"] is False


def _real_nvml_init_error():
    """None when this machine has a working NVIDIA driver, else the nvmlInit error."""
    try:
        real_pynvml.nvmlInit()
    except real_pynvml.NVMLError as exc:
        return exc
    real_pynvml.nvmlShutdown()
    return None


def test_real_pynvml_without_driver(monkeypatch):
    """No NVIDIA driver here (CI): the real nvmlInit raises NVMLError_LibraryNotFound."""
    error = _real_nvml_init_error()
    if error is None:
        pytest.skip("an NVIDIA driver is loaded on this machine")
    monkeypatch.setitem(sys.modules, "pynvml", real_pynvml)
    records = records_for("h100_8gpu")
    status = _nvml.enrich_nvidia(records, "auto")
    assert status["available"] is False
    assert type(error).__name__ in status["reason"]
    if not os.path.exists("/dev/nvidiactl"):
        assert isinstance(error, real_pynvml.NVMLError_LibraryNotFound)
    assert status["matched"] == 0 and status["device_count"] == 0
    assert all(r["gpu"] == {"source": "sysfs", "nvml_error": status["reason"]} for r in records)
    assert [r["dev_nodes"] for r in records] == [["/dev/dri/card1"]] * 8
    with pytest.raises(_nvml.NvmlRequiredError) as info:
        _nvml.enrich_nvidia(records_for("t4"), "required")
    assert type(error).__name__ in info.value.reason


def test_real_pynvml_with_driver(monkeypatch):
    """On a GPU host: the real NVML path, matched by the bus ids NVML reports."""
    if _real_nvml_init_error() is not None:
        pytest.skip("no NVIDIA driver on this machine")
    monkeypatch.setitem(sys.modules, "pynvml", real_pynvml)
    status = _nvml.enrich_nvidia([], "required")
    assert status["available"] is True and status["device_count"] >= 1
    assert status["driver_version"] and status["cuda_driver_version"]
    records = [record(address) for address in status["unmatched_nvml_bus_ids"]]
    status = _nvml.enrich_nvidia(records, "required")
    assert status["matched"] == status["device_count"] == len(records)
    for rec in records:
        gpu = rec["gpu"]
        assert gpu["source"] == "nvml" and gpu["uuid"].startswith("GPU-")
        assert gpu["memory_total_mib"] > 0 and gpu["compute_capability"]
        assert "/dev/nvidia%d" % gpu["minor_number"] in rec["dev_nodes"]
        assert isinstance(gpu["mig"]["capable"], bool)


def test_disabled_does_not_import():
    def forbidden(name):
        raise AssertionError("pynvml imported in disabled mode")
    records = records_for("t4")
    status = _nvml.enrich_nvidia(records, "disabled", import_module=forbidden)
    assert status["available"] is False and status["reason"] == "disabled"
    assert "gpu" not in records[0]


def test_bad_mode():
    with pytest.raises(ValueError):
        _nvml.enrich_nvidia([], "sometimes")


def test_capture_exports_for_fake_sysfs():
    assert capture_bus_ids("h100_8gpu") == H100_BUS_IDS
    functions = capture_pci_functions("a100_mig")
    assert functions[0]["address"] == "0000:01:00.0"
    assert (functions[0]["vendor_id"], functions[0]["device_id"]) == ("10de", "20b2")
    assert (functions[0]["subsystem_vendor_id"], functions[0]["subsystem_device_id"]) == (
        "10de", "147f")
    # the A10G VM capture reports PCI device id 0x000000DE: unknown, not "00de"
    assert capture_pci_functions("a10g")[0]["device_id"] is None


def test_auto_does_not_load_nvml_without_an_nvidia_gpu():
    """An AMD-only host: NVML is not even imported in auto mode; required still insists."""
    def no_import(name):
        raise AssertionError("NVML loaded for a host without NVIDIA GPUs: %s" % name)
    records = [record("0000:%02x:00.0" % bus, vendor_id="1002", device_id="740f")
               for bus in (0x03, 0x26)]
    status = _nvml.enrich_nvidia(records, "auto", import_module=no_import)
    assert status["available"] is False and status["reason"].startswith("skipped: no NVIDIA GPU")
    assert all("gpu" not in rec or rec["gpu"].get("source") != "nvml" for rec in records)
    with pytest.raises(AssertionError):
        _nvml.enrich_nvidia(records, "required", import_module=no_import)


def test_discovery_offers_the_profiles_gpu_mig_plans_with():
    """validate_spec checks a MIG layout against the record's gpu.mig.profiles; gpu_mig
    against what MigSession reads: the two lists must be the same."""
    from ansible_collections.openaccel.cyborg.plugins.module_utils._mig.checks import (
        sort_offered)
    from ansible_collections.openaccel.cyborg.plugins.module_utils._mig.plan import (
        offered_devices)
    from ansible_collections.openaccel.cyborg.plugins.module_utils._nvml.mig import MigSession
    from ansible_collections.openaccel.cyborg.tests.fixtures.nvml_mig import (
        make_fake_mig_pynvml)
    for capture in ("a100_mig",):
        dummy, records, dummy2 = enrich(capture)
        fake = make_fake_mig_pynvml(capture)
        fake.nvmlInit()
        planned = offered_devices(MigSession(fake).read_gpu(0))
        assert sort_offered(records[0]["gpu"]["mig"]["profiles"]) == planned, capture
    dummy, records, dummy2 = enrich("a100_mig")
    assert "1g.10gb" in records[0]["gpu"]["mig"]["profiles"]
    assert "3c.7g.80gb" in records[0]["gpu"]["mig"]["profiles"]
