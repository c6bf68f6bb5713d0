// BullMQ end to end: a queue and two workers (concurrency > 1) processing 10,000 jobs, some
// failing and retried with backoff, some delayed, a few failing for good, and parent/child
// flows from a FlowProducer. BullMQ does nearly everything in Lua scripts (EVALSHA with
// cjson and cmsgpack), so this exercises Redeno's scripting under real load. It runs
// against Redeno and, when redis-server is installed, against real Redis, asserting the
// same outcome on both, and prints the wall time of the 10,000-job run on each.

import assert from "node:assert/strict";
import { FlowProducer, type Job, Queue, Worker } from "npm:bullmq@5";
import { freePort, type RunningServer, skipWithout, startRedeno, startRedis } from "../_server.ts";

/** How long one server's run may take before the test fails. */
const SCENARIO_MS = 180_000;

const JOBS = 10_000;
const WORKERS = 2;
const CONCURRENCY = 8;

/** Jobs that fail on their first attempts and then succeed (n % RETRY_EVERY === 7). */
const RETRY_EVERY = 50;
/** Of those, how many attempts fail before the one that succeeds. */
const failuresOf = (n: number) => n % (2 * RETRY_EVERY) === 7 ? 2 : 1;
const retried = (n: number) => n % RETRY_EVERY === 7;
/** Delayed jobs (n % DELAY_EVERY === 42), by delayOf(n) ms. */
const DELAY_EVERY = 100;
const delayOf = (n: number) => 100 + (n % 7) * 50;
const delayed = (n: number) => n % DELAY_EVERY === 42;
/** Jobs outside the 10,000 that fail every attempt. */
const DOOMED = 5;

/** The result a job with number `n` returns. */
const resultOf = (n: number) => ({ n, square: n * n, label: `job-${n}` });

interface JobData {
  n: number;
  doomed?: boolean;
}

const connectionTo = (port: number) => ({
  host: "127.0.0.1",
  port,
  maxRetriesPerRequest: null,
});

/** Resolves when `ready` returns true; rejects after `ms` with `what`. */
async function waitUntil(what: string, ms: number, ready: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs the 10,000 jobs on `server`; returns the wall time in seconds. */
async function runJobs(server: RunningServer, deadline: number): Promise<number> {
  const connection = connectionTo(server.port);
  const queue = new Queue<JobData>("work", { connection });
  const attempts = new Map<number, number>();
  const workers: Worker<JobData>[] = [];
  const completed = new Map<string, unknown>();
  const failedForGood = new Map<string, string>();
  let retriedFailures = 0;
  const errors: Error[] = [];
  try {
    for (let i = 0; i < WORKERS; i++) {
      const worker = new Worker<JobData>(
        "work",
        async (job: Job<JobData>) => {
          const { n, doomed } = job.data;
          const seen = (attempts.get(n) ?? 0) + 1;
          attempts.set(n, seen);
          if (doomed) throw new Error(`doomed ${n}`);
          if (retried(n) && seen <= failuresOf(n)) throw new Error(`flaky ${n} try ${seen}`);
          await job.updateProgress(100);
          return resultOf(n);
        },
        { connection, concurrency: CONCURRENCY },
      );
      worker.on("completed", (job, result) => completed.set(job.id!, result));
      worker.on("failed", (job, error) => {
        if (job === undefined) return;
        if (job.attemptsMade >= (job.opts.attempts ?? 1)) {
          failedForGood.set(job.id!, error.message);
        } else {
          retriedFailures++;
        }
      });
      worker.on("error", (error) => errors.push(error));
      workers.push(worker);
    }

    const started = performance.now();
    for (let from = 0; from < JOBS; from += 1000) {
      const batch = [];
      for (let n = from; n < from + 1000; n++) {
        batch.push({
          name: "square",
          data: { n },
          opts: {
            jobId: `job-${n}`,
            ...(retried(n)
              ? {
                attempts: 3,
                backoff: n % 100 === 7
                  ? { type: "fixed", delay: 20 }
                  : { type: "exponential", delay: 10 },
              }
              : {}),
            ...(delayed(n) ? { delay: delayOf(n) } : {}),
          },
        });
      }
      await queue.addBulk(batch);
    }
    for (let d = 0; d < DOOMED; d++) {
      await queue.add("doomed", { n: JOBS + d, doomed: true }, {
        jobId: `doomed-${d}`,
        attempts: 2,
        backoff: { type: "fixed", delay: 10 },
      });
    }
    await waitUntil(
      `${JOBS} completed jobs (have ${completed.size})`,
      deadline - Date.now(),
      () => completed.size >= JOBS && failedForGood.size >= DOOMED,
    );
    const seconds = (performance.now() - started) / 1000;

    // Every job completed once with its own result; the flaky ones after their failures.
    assert.equal(completed.size, JOBS);
    for (let n = 0; n < JOBS; n++) {
      assert.deepEqual(completed.get(`job-${n}`), resultOf(n), `job-${n}`);
      const expectedAttempts = (retried(n) ? failuresOf(n) : 0) + 1;
      assert.equal(attempts.get(n), expectedAttempts, `attempts of job-${n}`);
    }
    // The doomed jobs are retried once too, then fail for good.
    let expectedRetries = DOOMED;
    for (let n = 0; n < JOBS; n++) if (retried(n)) expectedRetries += failuresOf(n);
    assert.equal(retriedFailures, expectedRetries);
    assert.equal(failedForGood.size, DOOMED);
    for (let d = 0; d < DOOMED; d++) {
      assert.equal(failedForGood.get(`doomed-${d}`), `doomed ${JOBS + d}`);
      assert.equal(attempts.get(JOBS + d), 2);
    }
    assert.deepEqual(errors, []);

    // What the server keeps agrees.
    const counts = await queue.getJobCounts(
      "completed",
      "failed",
      "delayed",
      "waiting",
      "active",
      "paused",
      "prioritized",
      "waiting-children",
    );
    assert.deepEqual(counts, {
      completed: JOBS,
      failed: DOOMED,
      delayed: 0,
      waiting: 0,
      active: 0,
      paused: 0,
      prioritized: 0,
      "waiting-children": 0,
    });
    for (const n of [0, 7, 42, 57, 107, 142, 4242, 9999]) {
      const job = await queue.getJob(`job-${n}`);
      assert.ok(job !== undefined, `job-${n} stored`);
      assert.deepEqual(job.returnvalue, resultOf(n));
      assert.deepEqual(job.data, { n });
      assert.equal(job.progress, 100);
      assert.equal(job.attemptsMade, (retried(n) ? failuresOf(n) : 0) + 1, `job-${n} attempts`);
      assert.equal(await job.getState(), "completed");
      assert.ok(job.finishedOn! >= job.processedOn!);
      if (delayed(n)) {
        assert.ok(
          job.processedOn! - job.timestamp >= delayOf(n),
          `job-${n} ran ${job.processedOn! - job.timestamp} ms after it was added`,
        );
      }
      if (retried(n)) {
        assert.equal(job.stacktrace?.length, failuresOf(n));
        assert.match(job.stacktrace?.[0] ?? "", /flaky/);
      }
    }
    const doomed = await queue.getJob("doomed-0");
    assert.ok(doomed !== undefined);
    assert.equal(await doomed.getState(), "failed");
    assert.equal(doomed.failedReason, `doomed ${JOBS}`);
    assert.equal(doomed.attemptsMade, 2);
    return seconds;
  } finally {
    await Promise.all(workers.map((w) => w.close()));
    await queue.close();
  }
}

/** Parent/children flows: each parent sums its children's results. */
async function runFlows(server: RunningServer, deadline: number): Promise<void> {
  const connection = connectionTo(server.port);
  const flows = new FlowProducer({ connection });
  const parents = new Queue("parents", { connection });
  const parts = new Worker<{ value: number }>(
    "parts",
    async (job) => {
      // A grandchild's parent sees its children's values too.
      const below = await job.getChildrenValues<number>();
      const fromBelow = Object.values(below).reduce((s, v) => s + v, 0);
      if (job.data.value === 3 && job.attemptsMade === 0) throw new Error("flaky part");
      return job.data.value + fromBelow;
    },
    { connection, concurrency: 4 },
  );
  const done = new Map<string, unknown>();
  const assembler = new Worker<{ flow: number }>(
    "parents",
    async (job) => {
      const values = await job.getChildrenValues<number>();
      return { flow: job.data.flow, total: Object.values(values).reduce((s, v) => s + v, 0) };
    },
    { connection, concurrency: 2 },
  );
  assembler.on("completed", (job, result) => done.set(job.id!, result));
  const FLOWS = 20;
  try {
    for (let f = 0; f < FLOWS; f++) {
      const tree = await flows.add({
        name: "assemble",
        queueName: "parents",
        data: { flow: f },
        opts: { jobId: `flow-${f}` },
        children: [
          { name: "part", queueName: "parts", data: { value: 1 } },
          { name: "part", queueName: "parts", data: { value: 2 } },
          {
            name: "part",
            queueName: "parts",
            data: { value: 3 },
            opts: { attempts: 2, backoff: { type: "fixed", delay: 10 } },
          },
          {
            name: "part",
            queueName: "parts",
            data: { value: 10 * f },
            children: [
              { name: "part", queueName: "parts", data: { value: 100 } },
              { name: "part", queueName: "parts", data: { value: 200 }, opts: { delay: 50 } },
            ],
          },
        ],
      });
      assert.equal(tree.job.id, `flow-${f}`);
      assert.equal(tree.children?.length, 4);
      if (f === 0) {
        assert.equal(await tree.job.getState(), "waiting-children");
      }
    }
    await waitUntil(`${FLOWS} flows`, deadline - Date.now(), () => done.size >= FLOWS);
    for (let f = 0; f < FLOWS; f++) {
      assert.deepEqual(done.get(`flow-${f}`), { flow: f, total: 1 + 2 + 3 + 10 * f + 300 });
    }
    const parent = await parents.getJob("flow-5");
    assert.ok(parent !== undefined);
    assert.equal(await parent.getState(), "completed");
    assert.deepEqual(await parent.getDependenciesCount(), {
      processed: 4,
      unprocessed: 0,
      failed: 0,
      ignored: 0,
    });
    assert.deepEqual(await parents.getJobCounts("completed", "waiting-children"), {
      completed: FLOWS,
      "waiting-children": 0,
    });
  } finally {
    await parts.close();
    await assembler.close();
    await parents.close();
    await flows.close();
  }
}

Deno.test({
  name: `BullMQ: ${JOBS} jobs with retries and delays, two workers, and parent/child flows`,
  async fn(t) {
    const starters: [string, (port: number) => Promise<RunningServer>][] = [
      ["redeno", (port) => startRedeno(port)],
    ];
    if (!skipWithout("redis-server")) starters.push(["redis", (port) => startRedis(port)]);
    const times: string[] = [];
    for (const [name, start] of starters) {
      const server = await start(freePort());
      await t.step(`on ${name}`, async () => {
        const deadline = Date.now() + SCENARIO_MS;
        // The waits give up at the deadline; this also bounds a reply that never comes
        // (stopping the server then closes the clients waiting on it).
        let timer: ReturnType<typeof setTimeout> | undefined;
        const overdue = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`the run took longer than ${SCENARIO_MS} ms`)),
            SCENARIO_MS + 10_000,
          );
        });
        try {
          await Promise.race([
            (async () => {
              const seconds = await runJobs(server, deadline);
              times.push(`${name} ${seconds.toFixed(1)} s`);
              await runFlows(server, deadline);
            })(),
            overdue,
          ]);
        } finally {
          clearTimeout(timer);
          await server.stop();
        }
      });
    }
    console.log(`BullMQ ${JOBS} jobs: ${times.join(", ")}`);
  },
});
