"""ZooKeeper server messages (NIOServerCnxn, QuorumPeer, FastLeaderElection, ...)."""

from __future__ import annotations

from benchmarks.labelled import System
from benchmarks.labelled.values import word

STATES = ["LOOKING", "FOLLOWING", "LEADING", "OBSERVING"]
ERRORS = ["NodeExists", "NoNode", "Directory not empty", "BadVersion", "Session expired"]
OPS = ["create", "delete", "setData", "multi", "getData"]
ZNODES = ["/hbase/rs", "/brokers/ids", "/controller", "/config/topics", "/hbase/table/users",
          "/consumers/group-a/offsets", "/locks/leader", "/services/api"]

SYSTEM = System("zookeeper", (
    "Accepted socket connection from /{ipport}",
    "Client attempting to establish new session at /{ipport}",
    "Established session {hexid} with negotiated timeout {num} for client /{ipport}",
    "Closed socket connection for client /{ipport} which had sessionid {hexid}",
    "Processed session termination for sessionid: {hexid}",
    "Notification: {small} (n.leader), {hexid} (n.zxid), {hexid} (n.round), {state} "
    "(n.state), {small} (n.sid), {hexid} (n.peerEPoch), {state} (my.state)",
    "Expiring session {hexid}, timeout of {num}ms exceeded",
    "EndOfStreamException: Unable to read additional data from client sessionid {hexid}, "
    "likely client has closed socket",
    "Closed socket connection for client /{ipport} (no session established for client)",
    "Got user-level KeeperException when processing sessionid:{hexid} type:{op} cxid:{hexid} "
    "zxid:{hexid} txntype:{small} reqpath:n/a Error Path:{znode} Error:KeeperErrorCode = "
    "{error} for {znode}",
    "Cannot open channel to {small} at election address /{ipport}",
    "Connection broken for id {small}, my id = {small}, error = ",
    "Interrupting SendWorker",
    "Send worker leaving thread",
    "Received connection request /{ipport}",
    "Have smaller server identifier, so dropping the connection: ({small}, {small})",
    "{state} - LEADER ELECTION TOOK - {num}",
    "New election. My id =  {small}, proposed zxid={hexid}",
    "Revalidating client: {hexid}",
    "Snapshotting: {hexid} to {path}",
    "tickTime set to {num}",
    "minSessionTimeout set to {num}",
    "maxSessionTimeout set to {num}",
    "Reading snapshot {path}",
    "Getting a diff from the leader {hexid}",
    "Getting a snapshot from leader {hexid}",
    "Unexpected exception causing shutdown while sock still open",
    "Shutting down",
    "shutdown of request processor complete",
    "FOLLOWING",
    "LEADING",
    "LOOKING",
    "Follower sid: {small} : info : org.apache.zookeeper.server.quorum.QuorumPeer$QuorumServer"
    "@{token}",
), {"state": word(STATES), "error": word(ERRORS), "op": word(OPS), "znode": word(ZNODES)})
