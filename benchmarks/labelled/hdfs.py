"""HDFS DataNode and NameNode messages."""

from __future__ import annotations

import random

from benchmarks.labelled import System
from benchmarks.labelled.values import blk


def _blocks(rng: random.Random) -> str:
    return " ".join(blk(rng) for _ in range(rng.choice([1, 1, 2, 3, 5])))


def _hdfs_path(rng: random.Random) -> str:
    job = f"job_{rng.randint(200811090000, 200811112359)}_{rng.randint(1, 9999):04d}"
    leaf = rng.choice(["job.jar", "job.split", "job.xml", f"part-{rng.randint(0, 999):05d}"])
    return f"/user/root/rand/_temporary/_task_{job}/{leaf}" if rng.random() < 0.5 else (
        f"/mnt/hadoop/mapred/system/{job}/{leaf}")


def _client(rng: random.Random) -> str:
    return f"DFSClient_{rng.choice(['NONMAPREDUCE_', 'attempt_'])}{rng.randint(-2**31, 2**31)}_1"


def _file(rng: random.Random) -> str:
    return f"/data/hadoop/dfs/data/current/subdir{rng.randint(0, 63)}/{blk(rng)}"


SYSTEM = System("hdfs", (
    "Receiving block {blk} src: /{ipport} dest: /{ipport}",
    "PacketResponder {small} for block {blk} terminating",
    "Received block {blk} of size {size} from /{ip}",
    "BLOCK* NameSystem.addStoredBlock: blockMap updated: {ipport} is added to {blk} size {size}",
    "Verification succeeded for {blk}",
    "BLOCK* NameSystem.allocateBlock: {hdfspath}. {blk}",
    "Deleting block {blk} file {file}",
    "BLOCK* NameSystem.delete: {blk} is added to invalidSet of {ipport}",
    "BLOCK* ask {ipport} to delete {blocks}",
    "{ipport} Starting thread to transfer block {blk} to {ipport}",
    "{ipport}:Transmitted block {blk} to /{ipport}",
    "BLOCK* ask {ipport} to replicate {blk} to datanode(s) {ipport}",
    "writeBlock {blk} received exception java.io.IOException: {ioerr}",
    "{ipport}:Got exception while serving {blk} to /{ip}:",
    "PacketResponder {blk} {small} Exception java.io.IOException: {ioerr}",
    "Receiving empty packet for block {blk}",
    "Exception in receiveBlock for block {blk} java.io.IOException: {ioerr}",
    "Changing block file offset of block {blk} from {num} to {num} meta file offset to {num}",
    "BLOCK* NameSystem.addStoredBlock: Redundant addStoredBlock request received for {blk} on "
    "{ipport} size {size}",
    "BLOCK* NameSystem.addToInvalidates: {blk} is added to invalidSet of {ipport}",
    "Served block {blk} to /{ip}",
    "DIR* NameSystem.completeFile: file {hdfspath} is closed by {client}",
    "Unexpected error trying to delete block {blk}. BlockInfo not found in volumeMap.",
    "PendingReplicationMonitor timed out block {blk}",
    "BLOCK* Removing block {blk} from neededReplications as it does not belong to any file.",
    "Number of transactions: {num} Total time for transactions(ms): {num} Number of "
    "transactions batched in Syncs: {small} Number of syncs: {num} SyncTimes(ms): {num} {num}",
    "Roll Edit Log from {ip}",
    "BlockReport of {num} blocks got processed in {num} msecs",
    "{ipport}:DataXceiver: java.io.IOException: {ioerr}",
    "Reopen Block for append {blk}",
    "Shutting down DataNode at {host}/{ip}",
    "Adding an already existing block {blk}",
), {"blocks": _blocks, "hdfspath": _hdfs_path, "client": _client, "file": _file})
