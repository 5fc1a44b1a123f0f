# -*- coding: utf-8 -*-
# Copyright: (c) openaccel.cyborg developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""The one NVML session of the collection: load pynvml, init/shutdown, call, name errors.

load() imports pynvml only when a caller asks for it (accelerator discovery with NVML on,
gpu_mig). Session wraps the loaded module: init()/shutdown(), call() (None instead of an
NVMLError, "does not apply here" errors kept quiet, the others recorded) and get() (None on
any NVMLError). text() and normalize_bus_id() turn NVML's values into the collection's forms;
they work with the old ``pynvml`` (bytes return values) and ``nvidia-ml-py`` (str).

Users: ``_nvml/enrich.py`` (discovery) and ``_nvml/mig.py`` (MIG reads and writes, gpu_mig).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib
import warnings

from ansible_collections.openaccel.cyborg.plugins.module_utils._pci_address import (
    AddressError, normalize_address)

# NVML return codes (stable ABI values, see nvml.h) meaning "this attribute does not apply
# here" (call() returns None without recording an error); used when the binding lacks the
# constant.
_ERR_NOT_SUPPORTED = 3
_ERR_FUNCTION_NOT_FOUND = 13


def load(import_module=None):
    """The pynvml module, imported now (ImportError when it is not installed)."""
    with warnings.catch_warnings():
        # pynvml 12+ warns (FutureWarning) that nvidia-ml-py should be used.
        warnings.simplefilter("ignore")
        return (import_module or importlib.import_module)("pynvml")


def error_name(exc):
    """'NVMLError_NotSupported: Not Supported' -- how messages show an NVML error."""
    return "%s: %s" % (type(exc).__name__, exc)


def text(value):
    """An NVML string (bytes or str, NUL padded) as str; None stays None."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return value.rstrip("\x00").strip()


def normalize_bus_id(bus_id):
    """'00000000:3B:00.0' (NVML) or '0000:3b:00.0' -> '0000:3b:00.0'; None if unparsable.

    NVML pads the domain to 8 digits; it is written with 4 (more only when it needs them),
    the rest follows the collection's PCI address grammar (_pci_address.normalize_address).
    """
    value = text(bus_id)
    if not value:
        return None
    parts = value.strip().split(":")
    if len(parts) == 3:
        try:
            parts[0] = "%04x" % int(parts[0], 16)
        except ValueError:
            return None
    try:
        return normalize_address(":".join(parts))
    except AddressError:
        return None


class Session(object):
    """Calls into one pynvml module (see load()); NVML errors become None."""

    def __init__(self, nvml):
        self.nvml = nvml
        self.error = getattr(nvml, "NVMLError", None) or Exception
        self.quiet = tuple(getattr(nvml, name, code) for name, code in (
            ("NVML_ERROR_NOT_SUPPORTED", _ERR_NOT_SUPPORTED),
            ("NVML_ERROR_FUNCTION_NOT_FOUND", _ERR_FUNCTION_NOT_FOUND)))

    def init(self):
        """nvmlInit(); raises self.error (e.g. no driver loaded)."""
        self.nvml.nvmlInit()

    def shutdown(self):
        """nvmlShutdown(), ignoring an NVML error."""
        try:
            self.nvml.nvmlShutdown()
        except self.error:  # pylint: disable=catching-non-exception
            pass

    def restart(self):
        """Shut NVML down and initialise it again (handles do not survive a GPU reset)."""
        self.shutdown()
        self.init()

    def call(self, errors, field, func_name, *args):
        """Return nvml.<func_name>(*args) or None; loud errors go to `errors` (unless None),
        as 'gpu.<field>: <func_name> failed: <error>'."""
        func = getattr(self.nvml, func_name, None)
        if func is None:
            return None
        try:
            return func(*args)
        except self.error as exc:  # pylint: disable=catching-non-exception
            if getattr(exc, "value", None) not in self.quiet and errors is not None:
                errors.append("gpu.%s: %s failed: %s" % (field, func_name, error_name(exc)))
            return None

    def get(self, func_name, *args):
        """nvml.<func_name>(*args), or None when it is missing or raises an NVML error."""
        return self.call(None, None, func_name, *args)
