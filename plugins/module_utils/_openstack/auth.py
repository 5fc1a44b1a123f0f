# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Connection to an OpenStack service (Placement, Glance, ...): the openstack.cloud option
set, handled by openstacksdk's config loader (clouds.yaml, OS_* environment) and
keystoneauth1; or a fixed endpoint + token for no-auth test deployments.

build_session() gives the keystoneauth1 Session, build_adapter() an Adapter for one service
type, with that service's endpoint, interface and region from the cloud configuration.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import traceback

from ansible_collections.openaccel.cyborg.plugins.module_utils._argspec import ArgumentSpec

KSA_IMP_ERR = None
try:
    from keystoneauth1 import adapter as ks_adapter
    from keystoneauth1 import session as ks_session
    HAS_KEYSTONEAUTH = True
except ImportError:
    HAS_KEYSTONEAUTH = False
    KSA_IMP_ERR = traceback.format_exc()

USER_AGENT = "openaccel.cyborg-placement"

# Same names, types, aliases and defaults as openstack.cloud's argument spec.
AUTH_ARGUMENT_SPEC = dict(
    cloud=dict(type="raw"),
    auth=dict(type="dict", no_log=True),
    auth_type=dict(type="str"),
    region_name=dict(type="str"),
    interface=dict(type="str", default="public", choices=["public", "internal", "admin"],
                   aliases=["endpoint_type"]),
    validate_certs=dict(type="bool", aliases=["verify"]),
    ca_cert=dict(type="str", aliases=["cacert"]),
    client_cert=dict(type="str", aliases=["cert"]),
    client_key=dict(type="str", no_log=True, aliases=["key"]),
    api_timeout=dict(type="int"),
    endpoint=dict(type="str", aliases=["placement_endpoint"]),
    token=dict(type="str", no_log=True),
)
AUTH_MUTUALLY_EXCLUSIVE = [["endpoint", "cloud"], ["endpoint", "auth"]]
AUTH_ARGSPEC = ArgumentSpec(AUTH_ARGUMENT_SPEC, mutually_exclusive=AUTH_MUTUALLY_EXCLUSIVE)


def _verify(params):
    if params.get("validate_certs") is False:
        return False
    return params.get("ca_cert") or True


def _cert(params):
    if params.get("client_cert") and params.get("client_key"):
        return (params["client_cert"], params["client_key"])
    return params.get("client_cert")


def build_session(params):
    """Return the keystoneauth1 Session the options describe (any service).

    Raises ValueError with a user-facing message on configuration errors.
    """
    if params.get("endpoint"):
        return _fixed_endpoint_session(params)
    return _cloud_region(params).get_session()


def build_adapter(params, service_type="placement"):
    """Return a keystoneauth1 Adapter pointed at the ``service_type`` API (with a fixed
    ``endpoint``: that URL, whatever the service type).

    Raises ValueError with a user-facing message on configuration errors.
    """
    if params.get("endpoint"):
        return ks_adapter.Adapter(_fixed_endpoint_session(params), service_type=service_type,
                                  endpoint_override=params["endpoint"].rstrip("/"),
                                  connect_retries=0)
    region = _cloud_region(params)
    return ks_adapter.Adapter(
        region.get_session(), service_type=service_type,
        interface=region.get_interface(service_type),
        region_name=region.get_region_name(service_type),
        endpoint_override=region.get_endpoint(service_type),
        connect_retries=0)


def _fixed_endpoint_session(params):
    from keystoneauth1 import noauth, token_endpoint
    endpoint = params["endpoint"].rstrip("/")
    if params.get("token"):
        plugin = token_endpoint.Token(endpoint, params["token"])
    else:
        plugin = noauth.NoAuth(endpoint=endpoint)
    return ks_session.Session(auth=plugin, verify=_verify(params), cert=_cert(params),
                              timeout=params.get("api_timeout"), app_name=USER_AGENT)


def _cloud_region(params):
    """openstacksdk's CloudRegion for the options (clouds.yaml, OS_*, inline cloud)."""
    try:
        import openstack.config
        from openstack import exceptions as sdk_exc
    except ImportError:
        raise ValueError("openstacksdk is required for the cloud/auth options "
                         "(pip install openstacksdk), or use endpoint + token")
    kwargs = dict(auth_type=params.get("auth_type"), region_name=params.get("region_name"),
                  interface=params.get("interface"), api_timeout=params.get("api_timeout"))
    cloud = params.get("cloud")
    if isinstance(cloud, dict):
        kwargs.update(cloud)  # an inline cloud definition, as openstack.cloud allows
        cloud = None
    if params.get("auth"):
        kwargs["auth"] = params["auth"]
    if params.get("validate_certs") is not None:
        kwargs["verify"] = params["validate_certs"]
    for opt, key in (("ca_cert", "cacert"), ("client_cert", "cert"), ("client_key", "key")):
        if params.get(opt):
            kwargs[key] = params[opt]
    kwargs = dict((k, v) for k, v in kwargs.items() if v is not None)
    try:
        return openstack.config.get_cloud_region(cloud=cloud, app_name=USER_AGENT, **kwargs)
    except sdk_exc.ConfigException as exc:
        raise ValueError("OpenStack configuration error: %s" % exc)
