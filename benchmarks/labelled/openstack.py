"""OpenStack Nova messages (nova-api access lines, nova-compute, the image cache manager)."""

from __future__ import annotations

import random

from benchmarks.labelled import System
from benchmarks.labelled.values import hex32, uid, word

VM_EVENTS = ["Started", "Stopped", "Paused", "Resumed"]
TASK_STATES = ["spawning", "deleting", "rebooting", "powering-off"]
METHODS = ["GET", "GET", "GET", "POST", "DELETE", "PUT"]
COMPUTE_HOSTS = ["cp-1.slowvm1.tcloud-pg0.utah.cloudlab.us", "compute-a.example.com",
                 "compute-b.example.com", "nova-compute-west"]


def _request(rng: random.Random) -> str:
    tenant = hex32(rng)
    tail = rng.choice(["servers/detail", "os-server-external-events", f"servers/{uid(rng)}",
                       "flavors/detail", f"servers/{uid(rng)}/action", "os-hypervisors"])
    return f"{rng.choice(METHODS)} /v2/{tenant}/{tail} HTTP/1.1"


def _base(rng: random.Random) -> str:
    return f"/var/lib/nova/instances/_base/{rng.getrandbits(160):040x}"


def _instance_dir(rng: random.Random) -> str:
    return f"/var/lib/nova/instances/{uid(rng)}_del"


SYSTEM = System("openstack", (
    "{ip} \"{request}\" status: {status} len: {num} time: {float}",
    "[instance: {uuid}] VM {event} (Lifecycle Event)",
    "[instance: {uuid}] During sync_power_state the instance has a pending task ({task}). Skip.",
    "image {uuid} at ({base}): checking",
    "image {uuid} at ({base}): in use: on this node {small} local, {small} on other nodes "
    "sharing this instance storage",
    "[instance: {uuid}] Took {float} seconds to spawn the instance on the hypervisor.",
    "[instance: {uuid}] Took {float} seconds to build instance.",
    "[instance: {uuid}] Took {float} seconds to destroy the instance on the hypervisor.",
    "[instance: {uuid}] Took {float} seconds to deallocate network for instance.",
    "[instance: {uuid}] Attempting claim: memory {num} MB, disk {small} GB, vcpus {small} CPU",
    "[instance: {uuid}] Total memory: {num} MB, used: {float} MB",
    "[instance: {uuid}] memory limit: {float} MB, free: {float} MB",
    "[instance: {uuid}] Claim successful",
    "Auditing locally available compute resources for node {chost}",
    "Final resource view: name={chost} phys_ram={num}MB used_ram={num}MB phys_disk={small}GB "
    "used_disk={small}GB total_vcpus={small} used_vcpus={small} pci_stats=[]",
    "Compute_service record updated for {chost}:{chost}",
    "Total usable vcpus: {small}, total allocated vcpus: {small}",
    "[instance: {uuid}] Creating image",
    "[instance: {uuid}] Terminating instance",
    "[instance: {uuid}] Deleting instance files {instdir}",
    "[instance: {uuid}] Deletion of {instdir} complete",
    "[instance: {uuid}] Instance destroyed successfully.",
    "[instance: {uuid}] Instance spawned successfully.",
    "Active base files: {base}",
    "Removable base files: {base}",
    "Unknown base file: {base}",
    "The instance sync for host '{chost}' did not match. Re-created its InstanceList.",
    "Successfully synced instances from host '{chost}'.",
    "HTTP exception thrown: Instance {uuid} could not be found.",
    "Running instance usage audit for host {chost} from {ts} to {ts}. {small} instances.",
    "Base or swap file too young to remove: {base}",
), {"request": _request, "status": word(["200", "200", "202", "204", "404"]),
    "event": word(VM_EVENTS), "task": word(TASK_STATES), "base": _base,
    "instdir": _instance_dir, "chost": word(COMPUTE_HOSTS),
    "ts": lambda rng: f"2017-05-{rng.randint(10, 28)} {rng.randint(0, 23):02d}:00:00"})
