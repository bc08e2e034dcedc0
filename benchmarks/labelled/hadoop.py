"""Hadoop MapReduce application master and YARN messages."""

from __future__ import annotations

import random

from benchmarks.labelled import System
from benchmarks.labelled.values import host, word

TA_STATES = ["NEW", "UNASSIGNED", "ASSIGNED", "RUNNING", "COMMIT_PENDING",
             "SUCCESS_CONTAINER_CLEANUP", "SUCCEEDED", "FAIL_CONTAINER_CLEANUP", "KILLED"]
TASK_STATES = ["NEW", "SCHEDULED", "RUNNING", "SUCCEEDED", "KILL_WAIT", "FAILED"]
JOB_STATES = ["NEW", "INITED", "SETUP", "RUNNING", "COMMITTING", "SUCCEEDED"]
EVENTS = ["CONTAINER_REMOTE_LAUNCH", "CONTAINER_REMOTE_CLEANUP", "CONTAINER_COMPLETED"]
DIAGNOSTICS = [
    "Container killed by the ApplicationMaster.",
    "Container killed on request. Exit code is 143",
    "Error: java.net.NoRouteToHostException: No Route to Host from {h} to {h}:8030 failed",
    "AttemptID:{a} Timed out after 600 secs",
    "Container exited with a non-zero exit code 1",
]


def _app(rng: random.Random) -> str:
    return f"{rng.randint(1445062781478, 1445182159119)}_{rng.randint(1, 30):04d}"


def _job(rng: random.Random) -> str:
    return f"job_{_app(rng)}"


def _task(rng: random.Random) -> str:
    return f"task_{_app(rng)}_{rng.choice('mr')}_{rng.randint(0, 40):06d}"


def _attempt(rng: random.Random) -> str:
    return f"attempt_{_app(rng)}_{rng.choice('mr')}_{rng.randint(0, 40):06d}_{rng.randint(0, 3)}"


def _container(rng: random.Random) -> str:
    return f"container_{_app(rng)}_01_{rng.randint(1, 60):06d}"


def _jvm(rng: random.Random) -> str:
    return f"jvm_{_app(rng)}_{rng.choice('mr')}_{rng.randint(1, 60):06d}"


def _diag(rng: random.Random) -> str:
    text = rng.choice(DIAGNOSTICS)
    return text.replace("{h}", host(rng)).replace("{a}", _attempt(rng))


def _hdfs(rng: random.Random) -> str:
    return (f"hdfs://{host(rng)}:9000/tmp/hadoop-yarn/staging/{rng.choice(['msrabi', 'etl'])}"
            f"/.staging/{_job(rng)}/{_job(rng)}_1.jhist")


SYSTEM = System("hadoop", (
    "{attempt} TaskAttempt Transitioned from {tastate} to {tastate}",
    "Progress of TaskAttempt {attempt} is : {float}",
    "{task} Task Transitioned from {tstate} to {tstate}",
    "Processing the event EventType: {event} for container {container} taskAttempt {attempt}",
    "TaskAttempt: [{attempt}] using containerId: [{container} on NM: [{host}:{port}]",
    "Assigned container {container} to {attempt}",
    "Retrying connect to server: {host}/{ipport}. Already tried {small} time(s); retry policy is "
    "RetryUpToMaximumCountWithFixedSleep(maxRetries={small}, sleepTime={num} MILLISECONDS)",
    "Before Scheduling: PendingReds:{small} ScheduledMaps:{small} ScheduledReds:{small} "
    "AssignedMaps:{small} AssignedReds:{small} CompletedMaps:{small} CompletedReds:{small} "
    "ContAlloc:{small} ContRel:{small} HostLocal:{small} RackLocal:{small}",
    "After Scheduling: PendingReds:{small} ScheduledMaps:{small} ScheduledReds:{small} "
    "AssignedMaps:{small} AssignedReds:{small} CompletedMaps:{small} CompletedReds:{small} "
    "ContAlloc:{small} ContRel:{small} HostLocal:{small} RackLocal:{small}",
    "Recalculating schedule, headroom=<memory:{num}, vCores:{small}>",
    "Done acknowledgement from {attempt}",
    "Task succeeded with attempt {attempt}",
    "Num completed Tasks: {small}",
    "Received completed container {container}",
    "Diagnostics report from {attempt}: {diag}",
    "ERROR IN CONTACTING RM. ",
    "Address change detected. Old: {host}/{ip}:{port} New: {host}:{port}",
    "Reduce slow start threshold not met. completedMapsForReduceSlowstart {small}",
    "Launching {attempt}",
    "Opening proxy : {host}:{port}",
    "Shuffle port returned by ContainerManager for {attempt} : {port}",
    "ATTEMPT_START {task}",
    "JVM with ID : {jvm} asked for a task",
    "JVM with ID: {jvm} given task: {attempt}",
    "KILLING {attempt}",
    "{job}Job Transitioned from {jstate} to {jstate}",
    "Killing taskAttempt:{attempt} because it is running on unusable node:{host}:{port}",
    "Failed to renew lease for [DFSClient_NONMAPREDUCE_{num}_1] for {small} seconds.  Will retry "
    "shortly ...",
    "Event Writer setup for JobId: {job}, File: {hdfs}",
    "Adding #{small} tokens and #{small} secret keys for NM use for launching container",
    "Size of containertokens_dob is {small}",
    "MRAppMaster launching normal, non-uberized, multi-container job {job}.",
    "Upper limit on the thread pool size is {small}",
    "Executing with tokens:",
    "Scheduled snapshot period at {small} second(s).",
), {"attempt": _attempt, "task": _task, "job": _job, "container": _container, "jvm": _jvm,
    "diag": _diag, "hdfs": _hdfs, "tastate": word(TA_STATES), "tstate": word(TASK_STATES),
    "jstate": word(JOB_STATES), "event": word(EVENTS)})
