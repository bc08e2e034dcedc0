"""Apache Spark executor and driver messages."""

from __future__ import annotations

import random

from benchmarks.labelled import System
from benchmarks.labelled.values import word

DEPRECATED = [("mapred.tip.id", "mapreduce.task.id"),
              ("mapred.task.id", "mapreduce.task.attempt.id"),
              ("mapred.task.is.map", "mapreduce.task.ismap"),
              ("mapred.task.partition", "mapreduce.task.partition"),
              ("mapred.job.id", "mapreduce.job.id")]
SERVICES = ["sparkExecutor", "sparkDriver", "SparkUI", "NettyBlockTransferService",
            "sparkExecutorActorSystem"]


def _stage(rng: random.Random) -> str:
    return f"{rng.randint(0, 400)}.{rng.choice([0, 0, 0, 1])}"


def _block(rng: random.Random) -> str:
    n = rng.randint(0, 300)
    return rng.choice([f"broadcast_{n}", f"broadcast_{n}_piece0", f"rdd_{n}_{rng.randint(0, 40)}"])


def _deprecated(rng: random.Random) -> str:
    old, new = rng.choice(DEPRECATED)
    return f"{old} is deprecated. Instead, use {new}"


def _attempt(rng: random.Random) -> str:
    return f"attempt_2017{rng.randint(10 ** 7, 10 ** 8)}_{rng.randint(0, 9999):04d}_m_" \
           f"{rng.randint(0, 999):06d}_{rng.randint(0, 2)}"


def _hdfs(rng: random.Random) -> str:
    return f"hdfs://{rng.choice(['namenode', 'nn1'])}:8020/pjhe/logs/{rng.randint(1, 99)}/" \
           f"{rng.choice(['part', 'data', 'out'])}-{rng.randint(0, 999):05d}"


SYSTEM = System("spark", (
    "Running task {stage} in stage {stage} (TID {num})",
    "Finished task {stage} in stage {stage} (TID {num}). {num} bytes result sent to driver",
    "Got assigned task {num}",
    "Found block {block} locally",
    "Partition {block} not found, computing it",
    "Block {block} stored as values in memory (estimated size {float} {unit}, free {float} "
    "{unit})",
    "Started reading broadcast variable {small}",
    "Reading broadcast variable {small} took {small} ms",
    "Block {block} stored as bytes in memory (estimated size {float} {unit}, free {float} "
    "{unit})",
    "Input split: {hdfs}:{num}+{num}",
    "{deprecated}",
    "Getting {small} non-empty blocks out of {small} blocks",
    "Started {small} remote fetches in {small} ms",
    "Saved output of task '{attempt}' to {hdfs}",
    "{attempt}: Committed",
    "Executor is trying to kill task {stage} in stage {stage} (TID {num})",
    "Changing view acls to: {user}",
    "Changing modify acls to: {user}",
    "SecurityManager: authentication disabled; ui acls disabled; users with view permissions: "
    "Set({user}); users with modify permissions: Set({user})",
    "Successfully started service '{service}' on port {port}.",
    "Registered signal handlers for [TERM, HUP, INT]",
    "Slf4jLogger started",
    "Starting remoting",
    "Remoting started; listening on addresses :[akka.tcp://{service}@{ipport}]",
    "Connecting to driver: spark://CoarseGrainedScheduler@{ipport}",
    "Successfully registered with driver",
    "Created local directory at {dir}/blockmgr-{uuid}",
    "MemoryStore started with capacity {float} {unit}",
    "Server created on {port}",
    "Trying to register BlockManager",
    "Registered BlockManager",
    "Driver commanded a shutdown",
    "Shutdown hook called",
    "Deleting directory {dir}/spark-{uuid}",
    "Error sending result RpcResponse{requestId={num}, body=NioManagedBuffer{buf=java.nio."
    "HeapByteBuffer[pos=0 lim={small} cap={small}]}} to /{ipport}; closing connection",
), {"stage": _stage, "block": _block, "deprecated": _deprecated, "attempt": _attempt,
    "hdfs": _hdfs, "unit": word(["B", "KB", "MB", "GB"]), "service": word(SERVICES)})
