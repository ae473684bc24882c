"""The index's scenarios: re-indexing under load and a Chroma outage, on real replicas and a real `chroma run`.

`reindex-mid-load`: free-text questions (each needs the dense index) go to
every replica as signed Slack DM events while `ksb-coach index --force` builds
a new collection and switches the pointer; every question must get a real
answer (never the error reply), and every replica must move to the new
collection without a restart.

`chroma-cut`: Chroma is cut (a TCP proxy in front of `chroma run` refuses
connections) for 30 s while reflections arrive and one replica restarts; no
reflection may be lost, every one must end up tagged (pending ones are retried
on RETAG_INTERVAL), and the restarted replica must come up once Chroma is back.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from itertools import count
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import Request, urlopen

from bench.scale.cluster import SIGNING_SECRET, Cluster, Replica, get
from bench.scale.registry import Outcome, Size, scenario
from bot.ui_text import ui
from tests.test_ops_proxy import TcpProxy
from tests.test_slack_support import signed

QUESTIONS = (  # about the mini standard's data pipelines, each answered through the dense index
    "how do I show I keep data pipelines running when a job fails overnight",
    "where do data quality checks on incoming files fit",
    "I scheduled the nightly ingestion job, what would that count for",
    "what counts for documenting how a pipeline works for the team",
    "is fixing a broken transformation step something I should write about",
    "which ksbs cover working safely with personal data in pipelines",
)
MINI_STANDARD = Path(__file__).resolve().parents[2] / "tests" / "data" / "mini_standard.json"
REFLECTION = "reflection: this week I {} and wrote up what I learned for the team"
WORK = ("set up drift monitoring dashboards for the churn model", "retired an old scoring model safely",
        "ran a bias review of the loan approval model", "automated the retraining pipeline with tests",
        "presented model results to the finance stakeholders")
CUT_SECONDS = 30.0
MAX_QUESTIONS = 600  # a bound on the load, whatever the re-index takes
_ids = count(1)


def send_dm(replica: Replica, text: str, *, channel: str, user: str) -> int:
    """One signed Slack DM event to one replica; the HTTP status of its ack."""
    n = next(_ids)
    ts = f"{1_700_000_000 + n}.000100"
    body = json.dumps({"token": "legacy", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
                       "event_id": f"EvIX{n:08d}", "event_time": int(time.time()),
                       "event": {"type": "message", "channel": channel, "channel_type": "im", "user": user,
                                 "text": text, "ts": ts, "event_ts": ts, "team": "T1"}})
    headers = {"Content-Type": "application/json", **signed(body, secret=SIGNING_SECRET)}
    request = Request(replica.url + "/slack/events", data=body.encode(), headers=headers, method="POST")
    try:
        with urlopen(request, timeout=30) as response:  # noqa: S310 - loopback replica
            return int(response.status)
    except OSError:
        return 0


def replies(cluster: Cluster, channels: set[str]) -> dict[str, list[str]]:
    """The text of every message posted to each of `channels`."""
    found: dict[str, list[str]] = {c: [] for c in channels}
    for call in cluster.slack.calls_to("chat.postMessage"):
        channel = str(call.params.get("channel", ""))
        if channel in found:
            found[channel].append(f"{call.params.get('text', '')} {call.params.get('blocks', '')}")
    return found


def wait_answered(cluster: Cluster, channels: set[str], timeout: float) -> dict[str, list[str]]:
    deadline = time.monotonic() + timeout
    while True:
        got = replies(cluster, channels)
        if all(got.values()) or time.monotonic() > deadline:
            return got
        time.sleep(0.5)


def versions(cluster: Cluster, slug: str) -> list[str]:
    """The versioned index collections of a standard on the cluster's Chroma server."""
    from knowledge.index import ChromaTarget

    client = ChromaTarget(host="127.0.0.1", port=cluster.chroma_port).client()
    return [c.name for c in client.list_collections() if c.name.startswith(f"ksb_{slug}.v.")]


def log_lines(replica: Replica, needle: str) -> int:
    try:
        return sum(needle in line for line in replica.log.path.read_text().splitlines())
    except OSError:
        return 0


@scenario("reindex-mid-load", "`ksb-coach index --force` while replicas answer: no failed answer, all move over")
def reindex_mid_load(cluster: Cluster, size: Size) -> Outcome:
    # An added standard of 8 documents, so `index --force` re-embeds in seconds, not the ~20 minutes the
    # bundled one takes on a loaded two-core box; added once (in the database), seen by every replica.
    added = cluster.command("standards", "add", str(MINI_STANDARD))
    if added.returncode != 0:
        raise RuntimeError(f"standards add failed: {added.stderr[-500:]}")
    replicas = cluster.start_replicas(size.replicas, SCHEDULER="false", INDEX_REFRESH="2", STANDARD="ST9999")
    builders = len(versions(cluster, "st9999"))
    cluster.slack.latency = 0.0
    error_text = ui("slack_error")[:40]
    channels: set[str] = set()
    acks: list[int] = []
    stop = threading.Event()
    lock = threading.Lock()

    def ask(n: int) -> None:
        channel, user = f"DIX{n:05d}", f"UIX{n:05d}"
        with lock:
            channels.add(channel)
        status = send_dm(replicas[n % len(replicas)], QUESTIONS[n % len(QUESTIONS)], channel=channel, user=user)
        with lock:
            acks.append(status)

    def load() -> None:
        n = 0
        with ThreadPoolExecutor(max_workers=6) as pool:
            while not stop.is_set() and n < MAX_QUESTIONS:
                pool.submit(ask, n)
                n += 1
                time.sleep(0.25)  # about 4 questions a second across the replicas

    loader = threading.Thread(target=load)
    loader.start()
    started = time.monotonic()
    time.sleep(5)
    built = cluster.command("index", "--force", STANDARD="ST9999")
    reindexed = time.monotonic() - started
    time.sleep(8)  # questions keep coming while replicas re-read the pointer (INDEX_REFRESH=2)
    stop.set()
    loader.join(120)
    got = wait_answered(cluster, channels, 180)
    answered = sum(1 for texts in got.values() if texts)
    failed = sum(1 for texts in got.values() if any(error_text in t for t in texts))
    moved = sum(1 for r in replicas if log_lines(r, "reloaded from") >= 1)
    lines = [f"{len(replicas)} replicas on an added standard (ST9999, from the database); index collections "
             f"the {len(replicas)} starting replicas built for it: {builders} (one built under the lock, the others "
             f"waited, then used it)",
             f"{len(channels)} free-text questions over {time.monotonic() - started:.0f} s; "
             f"`ksb-coach index --force` finished at {reindexed:.0f} s (exit {built.returncode})",
             f"acked 200: {acks.count(200)} of {len(acks)}",
             f"answered: {answered} of {len(channels)}",
             f"failed answers (error reply): {failed}",
             f"replicas that moved to the new collection without a restart: {moved} of {len(replicas)}"]
    met = (built.returncode == 0 and answered == len(channels) and failed == 0
           and acks.count(200) == len(acks) and moved == len(replicas))
    if built.returncode != 0:
        lines.append(f"index --force: {built.stderr.strip()[-300:]}")
    return Outcome("reindex-mid-load", met=met, lines=lines,
                   counts={"questions": len(channels), "answered": answered, "failed": failed, "moved": moved})


def readiness(replica: Replica) -> str:
    """"<status> <the index check's detail>" from a replica's /readyz."""
    try:
        with urlopen(replica.url + "/readyz", timeout=10) as response:  # noqa: S310 - loopback
            status, body = int(response.status), response.read()
    except HTTPError as exc:
        status, body = exc.code, exc.read()
    except OSError as exc:
        return f"no answer ({type(exc).__name__})"
    return f"{status} {json.loads(body)['checks']['index']['detail']}"


def entry_counts(cluster: Cluster) -> tuple[int, int]:
    """(reflections saved, of which still pending tagging)."""
    rows = cluster.sql("SELECT count(*), count(*) FILTER (WHERE tagging_status = 'pending') FROM entry")
    total, pending = rows[0] if rows else (0, 0)
    return int(total), int(pending)


@scenario("chroma-cut", "Chroma cut for 30 s with reflections arriving and a replica restarting: none lost, "
                        "all tagged after")
def chroma_cut(cluster: Cluster, size: Size) -> Outcome:
    with TcpProxy("127.0.0.1", cluster.chroma_port) as proxy:
        settings = {"SCHEDULER": "false", "CHROMA_PORT": str(proxy.port), "INDEX_REFRESH": "2",
                    "RETAG_INTERVAL": "5"}
        replicas = cluster.start_replicas(max(size.replicas, 2), **settings)  # one restarts, others answer
        cluster.slack.latency = 0.0
        cluster.sql("TRUNCATE entry CASCADE")
        proxy.set_mode("refuse")
        cut_at = time.monotonic()
        restarted: list[Replica] = []
        restart_error: list[str] = []

        def restart() -> None:
            replicas[-1].stop()
            try:
                restarted.extend(cluster.start_replicas(1, **settings))
            except RuntimeError as exc:
                restart_error.append(str(exc)[-300:])

        restarter = threading.Thread(target=restart)
        restarter.start()
        channels: set[str] = set()
        acks: list[int] = []
        ready_during: list[str] = []
        n = 0
        while time.monotonic() - cut_at < CUT_SECONDS:
            target = replicas[n % (len(replicas) - 1)]  # the running ones
            channel = f"DCC{n:05d}"
            channels.add(channel)
            acks.append(send_dm(target, REFLECTION.format(WORK[n % len(WORK)]), channel=channel,
                                user=f"UCC{n:05d}"))
            if n % 10 == 5:
                ready_during.append(readiness(target))
            n += 1
            time.sleep(0.5)
        saved_during, pending_during = entry_counts(cluster)
        proxy.set_mode("forward")
        back_at = time.monotonic()
        restarter.join(300)
        restarted_after = time.monotonic() - back_at
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            saved, pending = entry_counts(cluster)
            if saved >= len(channels) and pending == 0:
                break
            time.sleep(1)
        saved, pending = entry_counts(cluster)
        ok_restart = bool(restarted) and get(restarted[0].url + "/readyz") == 200
        lines = [f"{len(replicas)} replicas; Chroma refused connections for {CUT_SECONDS:.0f} s; "
                 f"{len(channels)} reflections sent meanwhile (acked 200: {acks.count(200)})",
                 f"saved during the cut: {saved_during} (pending tagging then: {pending_during})",
                 f"saved in the end: {saved} of {len(channels)}; still pending: {pending}",
                 f"/readyz of a running replica during the cut: {ready_during[0] if ready_during else 'none'}",
                 "replica restarted during the cut: "
                 + (f"ready {restarted_after:.0f} s after Chroma came back" if ok_restart
                    else f"NOT ready ({restart_error[0] if restart_error else 'no answer'})")]
        met = saved == len(channels) and pending == 0 and acks.count(200) == len(acks) and ok_restart
        return Outcome("chroma-cut", met=met, lines=lines,
                       counts={"sent": len(channels), "saved": saved, "pending": pending})
