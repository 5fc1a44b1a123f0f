"""accelerator_reports: merge the batch reports registered on every host, reading one host
per batch."""
import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.openaccel.cyborg.plugins.filter.accelerator_reports import (
    accelerator_reports)


class CountingHostVars(dict):
    """hostvars stand-in that counts which hosts' variables were read."""

    def __init__(self, *args):
        super().__init__(*args)
        self.read = []

    def __getitem__(self, host):
        self.read.append(host)
        return super().__getitem__(host)


def _batch(*hosts):
    return {"reports": dict((h, {"host": h, "drift": []}) for h in hosts)}


def test_one_read_per_batch_and_hosts_without_reports_are_left_out():
    first, second = _batch("a", "b", "c"), _batch("d")
    hostvars = CountingHostVars({
        "a": {"_accelerators_report": first}, "b": {"_accelerators_report": first},
        "c": {"_accelerators_report": first}, "d": {"_accelerators_report": second},
        "failed": {}, "skipped": {"_accelerators_report": {"skipped": True}}})
    reports = accelerator_reports(hostvars)
    assert list(reports) == ["a", "b", "c", "d"]
    assert hostvars.read == ["a", "d", "failed", "skipped"]


def test_other_variable_name():
    hostvars = {"a": {"mine": _batch("a")}}
    assert list(accelerator_reports(hostvars, variable="mine")) == ["a"]
    assert accelerator_reports(hostvars) == {}


def test_not_hostvars_is_a_clear_error():
    with pytest.raises(AnsibleFilterError, match="hostvars"):
        accelerator_reports(["a"])
