"""The nbssl Jupyter kernel against real Jupyter clients (Debian's packages, no mocks).

- jupyter_kernel_test's conformance suite, for the C# and the F# kernelspec;
- a message signed with the wrong key is dropped, never executed;
- interrupting a running training cell: idle again within seconds, the session (and the model) still there;
  a tight loop that ignores the interrupt is ended by a restart;
- a cell printing 20,000 lines: batched, capped (head, note naming the side file, tail), and idle at the end;
  a signed request the kernel cannot read gets an error reply; a kernel whose front-end is SIGKILLed exits;
- `jupyter nbconvert --to notebook --execute` runs notebooks 00 and 01 (at their default size, smoke) through
  the installed kernel, with the same outputs as `nbssl run` (timings aside).

The kernelspecs are installed with `nbssl kernel install --prefix` into a temporary folder that JUPYTER_PATH
points at (JUPYTER_DATA_DIR and the runtime folder are temporary too); nothing is left behind.

Run: /usr/bin/python3 tests/kernel/test_conformance.py [-k PATTERN]   (after `dotnet build -c Release src/nbssl`)
NBSSL_DLL overrides the nbssl.dll the kernels run. The last line is "kernel tests: N passed, N failed".
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path
from queue import Empty

ROOT = Path(__file__).resolve().parents[2]
DLL = Path(os.environ.get("NBSSL_DLL") or ROOT / "src/nbssl/bin/Release/net10.0/nbssl.dll")
TMP = Path(tempfile.mkdtemp(prefix="nbssl-kernel-tests-"))
# every Jupyter folder in the temporary one, before jupyter_client reads them
os.environ["JUPYTER_PATH"] = str(TMP / "share" / "jupyter")
os.environ["JUPYTER_DATA_DIR"] = str(TMP / "data")
os.environ["JUPYTER_RUNTIME_DIR"] = str(TMP / "runtime")
os.environ["JUPYTER_CONFIG_DIR"] = str(TMP / "config")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import jupyter_kernel_test  # noqa: E402
from jupyter_client.manager import start_new_kernel  # noqa: E402
from jupyter_client.session import Session  # noqa: E402

STARTUP = 180   # seconds: the first cell compiles with Roslyn / starts FSI, slow on a busy 2-core machine
TIMINGS = {}


def setUpModule():
    if not DLL.exists():
        raise unittest.SkipTest(f"{DLL} is not built (dotnet build -c Release src/nbssl)")
    subprocess.run(["dotnet", str(DLL), "kernel", "install", "--prefix", str(TMP)], check=True, stdout=subprocess.DEVNULL)


def tearDownModule():
    shutil.rmtree(TMP, ignore_errors=True)


def execute(kc, code, timeout=STARTUP, store_history=False):
    """Runs code; returns (reply content, [(msg_type, content)] of its iopub messages)."""
    outputs = []
    reply = kc.execute_interactive(code, timeout=timeout, store_history=store_history,
                                   output_hook=lambda m: outputs.append((m["msg_type"], m["content"])))
    return reply["content"], outputs


def stdout_of(outputs):
    return "".join(c["text"] for t, c in outputs if t == "stream" and c["name"] == "stdout")


class Warm:
    """Starts the kernel and runs a first (unrecorded) cell with a long timeout, so the suite's 15 s hold."""

    @classmethod
    def setUpClass(cls):
        cls.km, cls.kc = start_new_kernel(kernel_name=cls.kernel_name, startup_timeout=STARTUP, cwd=str(TMP))
        content, _ = execute(cls.kc, cls.warm_code)
        assert content["status"] == "ok", content


class CSharpConformance(Warm, jupyter_kernel_test.KernelTests):
    kernel_name = "nbssl-csharp"
    warm_code = 'Console.Write("");'
    language_name = "csharp"
    file_extension = ".cs"
    code_hello_world = 'Console.WriteLine("hello, world");'
    code_stderr = 'Console.Error.WriteLine("to stderr");'
    completion_samples = [
        {"text": "Console.WriteL", "matches": {"WriteLine"}},
        {"text": "System.Console.Writ", "matches": {"Write", "WriteLine"}},
        {"text": "var answerToAll = 42;\nanswerTo", "matches": {"answerToAll"}},
    ]
    complete_code_samples = ["var x = 1;", "Console.WriteLine(1);", "for (int i = 0; i < 3; i++) { }", "6 * 7"]
    incomplete_code_samples = ["for (int i = 0; i < 3; i++) {", "var list = new List<int> {", "if (true)"]
    invalid_code_samples = ["var x = ;", "}"]
    code_display_data = [
        {"code": 'display("<b>bold</b>", "text/html");', "mime": "text/html"},
        {"code": "display(Plotly.NET.CSharp.Chart.Line<int, int, string>(x: new[] { 1, 2, 3 }, y: new[] { 1, 4, 9 }));",
         "mime": "application/vnd.plotly.v1+json"},
    ]
    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": '"a" + "b"', "result": "ab"},
    ]
    code_history_pattern = "6 * 7"
    supported_history_operations = ("tail", "range", "search")
    code_inspect_sample = "Console.WriteLine"
    code_clear_output = "NotebookSsl.Notebooks.Jupyter.Output.Clear();"
    code_generate_error = 'throw new InvalidOperationException("boom");'


class FSharpConformance(Warm, jupyter_kernel_test.KernelTests):
    kernel_name = "nbssl-fsharp"
    warm_code = "()"
    language_name = "fsharp"
    file_extension = ".fs"
    code_hello_world = 'printfn "hello, world"'
    code_stderr = 'eprintfn "to stderr"'
    completion_samples = [
        {"text": "System.Console.WriteL", "matches": {"WriteLine"}},
        {"text": "List.fol", "matches": {"fold", "foldBack", "fold2", "foldBack2"}},
    ]
    complete_code_samples = ["let x = 1", 'printfn "hi"', "[ 1; 2 ]", "6 * 7"]
    incomplete_code_samples = ["let f x =", "[ 1;\n  2", "if true then"]
    invalid_code_samples = [")", "[ 1 }"]
    code_display_data = [
        {"code": 'display("<b>bold</b>", "text/html") |> ignore', "mime": "text/html"},
        {"code": "open Plotly.NET\nChart.Line(x = [1; 2; 3], y = [1; 4; 9]) |> display |> ignore", "mime": "application/vnd.plotly.v1+json"},
    ]
    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": "[ 1; 2 ]", "result": "[1; 2]"},
    ]
    code_history_pattern = "6 * 7"
    supported_history_operations = ("tail", "range", "search")
    code_inspect_sample = "System.Console.WriteLine"
    code_clear_output = "NotebookSsl.Notebooks.Jupyter.Output.Clear()"
    code_generate_error = 'failwith "boom"'


class Protocol(unittest.TestCase):
    """Signatures, interrupt and restart, on one C# kernel."""

    @classmethod
    def setUpClass(cls):
        cls.km, cls.kc = start_new_kernel(kernel_name="nbssl-csharp", startup_timeout=STARTUP, cwd=str(TMP))
        content, _ = execute(cls.kc, 'Console.Write("");')
        assert content["status"] == "ok", content

    @classmethod
    def tearDownClass(cls):
        cls.kc.stop_channels()
        cls.km.shutdown_kernel(now=True)

    def drain(self):
        for get in (self.kc.get_shell_msg, self.kc.get_iopub_msg):
            while True:
                try:
                    get(timeout=0.2)
                except Empty:
                    break

    def test_wrong_signature_is_not_executed(self):
        marker = TMP / "bad-signature-ran"
        code = f'System.IO.File.WriteAllText(@"{marker}", "executed");'
        self.drain()
        forged = Session(key=b"not-the-key", username="attacker")
        forged.send(self.kc.shell_channel.socket, "execute_request",
                    {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                     "allow_stdin": False, "stop_on_error": True})
        # the kernel answers the next, correctly signed, request; the forged one gets no reply and never runs
        content, _ = execute(self.kc, "6 * 7", timeout=60)
        self.assertEqual(content["status"], "ok")
        with self.assertRaises(Empty, msg="the forged request got a reply"):
            self.kc.get_shell_msg(timeout=1)
        self.assertFalse(marker.exists(), "the forged request was executed")
        # an unsigned message (empty signature) is dropped too
        unsigned = Session(key=b"", username="attacker")
        unsigned.send(self.kc.shell_channel.socket, "execute_request", {"code": code, "silent": False})
        content, _ = execute(self.kc, "1", timeout=60)
        self.assertEqual(content["status"], "ok")
        self.assertFalse(marker.exists(), "the unsigned request was executed")

    # the library's training stream takes the cell's cancellation token (it ends between two steps, the model
    # keeps its weights); the cell's next output after the interrupt raises OperationCanceledException
    TRAINING_CELL = """
using NotebookSsl.Methods.Mae;
using NotebookSsl.Runs;
using NotebookSsl.Studies.Pretrain;
TorchSharp.torch.set_num_threads(1);
var recipe = MaePipeline.RecipeFor(RunSize.Smoke, 0);
var mae = new MaskedAutoencoder(recipe.Mae);
var images = TorchSharp.torch.rand(32, 1, 28, 28);
long stepsDone = 0;
foreach (var step in MaePretraining.Steps(mae, images, recipe.Pretrain with { Epochs = 1000000, BatchSize = 16 }, cancel: cancellation))
{
    stepsDone = step.Step + 1;
    if (step.Step < 3) Console.WriteLine($"step {step.Step}: loss {step.Loss:F4}");
}
Console.WriteLine($"stopped after {stepsDone} steps");
"""

    def wait_reply(self, msg_id, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                reply = self.kc.get_shell_msg(timeout=max(0.1, deadline - time.time()))
            except Empty:
                break
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply
        return None

    def first_stream(self, msg_id, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                m = self.kc.get_iopub_msg(timeout=max(0.1, deadline - time.time()))
            except Empty:
                break
            if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "stream":
                return m
            if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "error":
                self.fail(f"the cell failed: {m['content']}")
        return None

    def test_interrupt_training_cell(self):
        self.drain()
        sent = time.time()
        msg_id = self.kc.execute(self.TRAINING_CELL)
        first = self.first_stream(msg_id, STARTUP)
        self.assertIsNotNone(first, "the training cell printed nothing")
        TIMINGS["execute_request -> first stream output of a training cell (s)"] = round(time.time() - sent, 2)
        self.assertIn("step 0", first["content"]["text"])
        time.sleep(1)
        interrupted = time.time()
        self.km.interrupt_kernel()
        reply = self.wait_reply(msg_id, 10)
        self.assertIsNotNone(reply, "no execute_reply within 10 s of the interrupt")
        TIMINGS["interrupt -> execute_reply of the training cell (s)"] = round(time.time() - interrupted, 2)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertIn("OperationCanceled", reply["content"]["ename"])
        # the session is still there, and so is the model, with the steps it took
        content, outputs = execute(self.kc, 'Console.WriteLine($"{stepsDone} {float.IsFinite(mae.Forward(images).Loss.item<float>())}");', timeout=60)
        self.assertEqual(content["status"], "ok")
        steps, finite = stdout_of(outputs).split()
        self.assertGreaterEqual(int(steps), 1)
        self.assertEqual(finite, "True")

    PARALLEL_CELL = """
using NotebookSsl.Methods.Mae;
using NotebookSsl.Runs;
using NotebookSsl.Studies.Pretrain;
TorchSharp.torch.set_num_threads(1);
var precipe = MaePipeline.RecipeFor(RunSize.Smoke, 0);
var pimages = TorchSharp.torch.rand(32, 1, 28, 28);
var counters = new long[2];
var pjobs = new Jobs<long>();
for (int j = 0; j < 2; j++)
{
    int index = j;
    pjobs.Add(cancel =>
    {
        using var m = NotebookSsl.Training.Seeds.Build(index, () => new MaskedAutoencoder(precipe.Mae));
        foreach (var step in MaePretraining.Steps(m, pimages, precipe.Pretrain with { Epochs = 1000000, BatchSize = 16 }, cancel: cancel))
        {
            System.Threading.Interlocked.Exchange(ref counters[index], step.Step + 1);
            if (step.Step == 0) Console.WriteLine($"run {index} started");
        }
        cancel.ThrowIfCancellationRequested();
        return counters[index];
    });
}
pjobs.RunAll(cancellation);
"""

    def test_interrupt_stops_a_cells_job_list(self):
        """Issue 21: interrupting a cell that runs a list of training jobs (Jobs.RunAll, one after another in a kernel)
        stops the running one within a step and starts no other."""
        self.drain()
        msg_id = self.kc.execute(self.PARALLEL_CELL)
        first = self.first_stream(msg_id, STARTUP)
        self.assertIsNotNone(first, "the job list's cell printed nothing")
        time.sleep(1.5)
        interrupted = time.time()
        self.km.interrupt_kernel()
        reply = self.wait_reply(msg_id, 10)
        self.assertIsNotNone(reply, "no execute_reply within 10 s of the interrupt")
        TIMINGS["interrupt -> execute_reply of a cell running a job list (s)"] = round(time.time() - interrupted, 2)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertIn("OperationCanceled", reply["content"]["ename"])
        # the first job trained, the second never started, and nothing trains on after the reply
        content, outputs = execute(self.kc, 'var seen = counters.ToArray(); System.Threading.Thread.Sleep(1500); '
                                            'Console.WriteLine($"{string.Join(",", seen)} {seen.SequenceEqual(counters)}");', timeout=60)
        self.assertEqual(content["status"], "ok")
        steps, still = stdout_of(outputs).split()
        first_steps, second_steps = (int(c) for c in steps.split(","))
        self.assertGreaterEqual(first_steps, 1, f"the first job never stepped: {steps}")
        self.assertEqual(second_steps, 0, f"the second job started after the interrupt: {steps}")
        self.assertEqual(still, "True", "a job kept training after the interrupt's reply")

    def test_interrupt_cancels_the_cell_token(self):
        self.drain()
        msg_id = self.kc.execute("while (!cancellation.IsCancellationRequested) System.Threading.Thread.Sleep(20);\n"
                                 "cancellation.ThrowIfCancellationRequested();")
        time.sleep(2)
        self.km.interrupt_kernel()
        reply = self.wait_reply(msg_id, 10)
        self.assertIsNotNone(reply, "no execute_reply within 10 s of the interrupt")
        self.assertIn("OperationCanceled", reply["content"]["ename"])
        content, outputs = execute(self.kc, 'Console.WriteLine("still here");', timeout=60)
        self.assertEqual(stdout_of(outputs).strip(), "still here")

    def test_after_an_error_the_queued_cells_are_aborted(self):
        self.drain()
        first = self.kc.execute('System.Threading.Thread.Sleep(1000); throw new Exception("first fails");')
        second = self.kc.execute('Console.WriteLine("second ran");')
        self.assertEqual(self.wait_reply(first, 60)["content"]["status"], "error")
        self.assertEqual(self.wait_reply(second, 10)["content"]["status"], "aborted")
        content, outputs = execute(self.kc, 'Console.WriteLine("third ran");', timeout=60)
        self.assertEqual(stdout_of(outputs).strip(), "third ran")

    def iopub_until_idle(self, msg_id, timeout):
        """[(msg_type, content)] of msg_id's iopub messages up to its idle status (None if idle never came)."""
        deadline = time.time() + timeout
        got = []
        while time.time() < deadline:
            try:
                m = self.kc.get_iopub_msg(timeout=max(0.1, deadline - time.time()))
            except Empty:
                break
            if m["parent_header"].get("msg_id") != msg_id:
                continue
            got.append((m["msg_type"], m["content"]))
            if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                return got
        return None

    def test_a_chatty_cell_is_batched_capped_and_ends_idle(self):
        # one iopub message per line made a publisher past its high-water mark drop most of them, the idle status too
        self.drain()
        n = 20000
        sent = time.time()
        msg_id = self.kc.execute(f'for (int i = 0; i < {n}; i++) Console.WriteLine($"line {{i}}");')
        got = self.iopub_until_idle(msg_id, 120)
        self.assertIsNotNone(got, "no idle status: the front-end would show the cell running for ever")
        TIMINGS[f"execute_request -> idle, a cell printing {n:,} lines (s)"] = round(time.time() - sent, 2)
        self.assertEqual(self.wait_reply(msg_id, 10)["content"]["status"], "ok")
        streams = [c for t, c in got if t == "stream"]
        self.assertLess(len(streams), 50, "stream output is not batched")
        text = "".join(c["text"] for c in streams)
        # head (the first 2,000 lines), a note naming the side file, the last 500 lines
        self.assertTrue(text.startswith("line 0\nline 1\n"), text[:100])
        self.assertIn("line 1999\n", text)
        self.assertNotIn("line 10000\n", text)
        self.assertTrue(text.endswith("line 19999\n"), text[-100:])
        self.assertIn("line 19500\n", text)
        side = re.search(r"the full output \(20,000 lines\) is in (\S+) \.\.\.\]", text)
        self.assertIsNotNone(side, "no note naming the side file")
        self.assertEqual(Path(side.group(1)).read_text(), "".join(f"line {i}\n" for i in range(n)))
        Path(side.group(1)).unlink()
        Path(side.group(1)).parent.rmdir()   # the kernel's side-file folder held only this one

    def send_raw_execute(self, content_bytes):
        """An execute_request whose content frame is given as bytes (signed with the right key)."""
        session = self.kc.session
        header = session.msg_header("execute_request")
        parts = [session.pack(header), b"{}", b"{}", content_bytes]
        self.kc.shell_channel.socket.send_multipart([b"<IDS|MSG>", session.sign(parts)] + parts)
        return header["msg_id"]

    def test_an_unreadable_request_gets_an_error_reply(self):
        self.drain()
        for content, says in ((b'{"code": 42, "silent": false}', "'code' must be a string"),
                              (b'{"code": "Console.Write(1); // \xff\xfe", "silent": false}', "'code' is not valid UTF-8"),
                              (b'{"code": "1", "silent": "no"}', "'silent' must be true or false"),
                              (b'{"code": "1", ', "content is not valid JSON")):
            msg_id = self.send_raw_execute(content)
            reply = self.wait_reply(msg_id, 30)
            self.assertIsNotNone(reply, f"no execute_reply to {content!r}")
            self.assertEqual(reply["content"]["status"], "error")
            self.assertEqual(reply["content"]["ename"], "BadRequest")
            self.assertIn(says, reply["content"]["evalue"])
            self.assertIsNotNone(self.iopub_until_idle(msg_id, 10), f"no idle after {content!r}")
        content, outputs = execute(self.kc, 'Console.WriteLine("still here");', timeout=60)
        self.assertEqual(stdout_of(outputs).strip(), "still here")

    def test_zz_restart_ends_a_tight_loop(self):
        self.drain()
        msg_id = self.kc.execute("var spins = 0L; while (true) { spins++; }")
        time.sleep(2)
        self.km.interrupt_kernel()
        self.assertIsNone(self.wait_reply(msg_id, 2), "a tight loop is not expected to notice the interrupt")
        self.km.restart_kernel(now=True)
        self.drain()
        content, outputs = execute(self.kc, "6 * 7")
        self.assertEqual(content["status"], "ok")
        self.assertEqual(content["execution_count"], 0)   # a new session (store_history=False: count not advanced)


class FrontEndDeath(unittest.TestCase):
    """A kernel whose front-end is SIGKILLed (no shutdown request) ends itself, as ipykernel's parent poller does."""

    FRONT_END = """
import sys
from jupyter_client.manager import KernelManager
km = KernelManager(kernel_name="nbssl-csharp")
km.start_kernel(cwd=sys.argv[1])
kc = km.client(); kc.start_channels(); kc.wait_for_ready(timeout=int(sys.argv[2]))
print(km.provisioner.process.pid, flush=True)
sys.stdin.read()
"""

    def test_kernel_exits_when_its_front_end_is_killed(self):
        front = subprocess.Popen([sys.executable, "-c", self.FRONT_END, str(TMP), str(STARTUP)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        kernel = None
        try:
            kernel = int(front.stdout.readline())
            front.kill()
            front.wait()
            killed = time.time()
            while running(kernel) and time.time() - killed < 15:
                time.sleep(0.1)
            self.assertFalse(running(kernel), "the kernel outlived its front-end by 15 s")
            TIMINGS["front-end SIGKILLed -> kernel gone (s)"] = round(time.time() - killed, 2)
        finally:
            if front.poll() is None:
                front.kill()
            if kernel is not None and running(kernel):
                os.kill(kernel, 9)


def running(pid):
    """Running per /proc (a zombie is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] not in "ZX"


def prepare_notebook(path):
    """The notebook as a Jupyter front-end gets it: the nbssl-csharp kernelspec, F# cells with a first line #!fsharp."""
    nb = json.loads(path.read_text())
    nb["metadata"]["kernelspec"] = {"name": "nbssl-csharp", "display_name": "C# (nbssl)", "language": "csharp"}
    # a published notebook carries its run's injected-parameters cell (size = quick): run the notebook's own defaults (smoke)
    nb["cells"] = [c for c in nb["cells"] if "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        kernel = (cell.get("metadata", {}).get("polyglot_notebook", {}) or {}).get("kernelName")
        first = source.lstrip().split("\n", 1)[0].strip().lower()
        if kernel == "fsharp" and first not in ("#!fsharp", "#!f#", "#!fs"):
            cell["source"] = "#!fsharp\n" + source
    return nb


TIMING_WORDS = re.compile(r"[0-9][0-9.,]*\s*(s|ms|images/s|img/s|steps/s|seconds)\b|\bin [0-9][0-9.,]* ?s\b")


def comparable(text):
    return TIMING_WORDS.sub("<t>", text)


class Notebooks(unittest.TestCase):
    """nbconvert (nbclient) runs the repository's notebooks through the installed kernel."""

    def run_notebook(self, name):
        source = ROOT / "notebooks" / f"{name}.ipynb"
        out = TMP / "nbconvert"
        out.mkdir(exist_ok=True)
        nb = prepare_notebook(source)
        started = time.time()
        # through stdin, from the notebook's folder: the kernel runs there, as it would for the file itself
        run = subprocess.run(
            ["jupyter", "nbconvert", "--stdin", "--to", "notebook", "--execute", "--output", name, "--output-dir", str(out),
             "--ExecutePreprocessor.timeout=900", "--ExecutePreprocessor.startup_timeout=180"],
            input=json.dumps(nb), text=True, cwd=source.parent, capture_output=True,
            env=dict(os.environ, NBSSL_RUNS=str(TMP / f"runs-kernel-{name}")))   # a fresh run store: trains, as nbssl run below
        self.assertEqual(run.returncode, 0, run.stderr[-3000:])
        TIMINGS[f"nbconvert --execute {name} (s)"] = round(time.time() - started, 1)
        executed = json.loads((out / f"{name}.ipynb").read_text())
        reference_dir = TMP / "nbssl-run"
        # the kernel runs a notebook's jobs one after another: compare with nbssl run in one process (with two, the
        # other process trains some runs and this one prints "loaded" for them)
        one_process = ["-p", "parallel=1"] if "var parallel = " in source.read_text() else []
        # replaces a published notebook's injected size = quick, as prepare_notebook drops it for the kernel
        one_process += ["-p", "size=smoke"] if "var size = " in source.read_text() else []
        run = subprocess.run(["dotnet", str(DLL), "run", str(source), "--out", str(reference_dir)] + one_process, capture_output=True, text=True,
                             env=dict(os.environ, NBSSL_RUNS=str(TMP / f"runs-nbssl-{name}")))
        self.assertEqual(run.returncode, 0, run.stderr[-3000:])
        reference = json.loads((reference_dir / f"{name}.ipynb").read_text())
        code = [c for c in executed["cells"] if c["cell_type"] == "code"]
        ref = [c for c in reference["cells"] if c["cell_type"] == "code" and "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
        self.assertEqual(len(code), len(ref))
        for i, (a, b) in enumerate(zip(code, ref)):
            errors = [o for o in a["outputs"] if o["output_type"] == "error"]
            self.assertEqual(errors, [], f"cell {i} failed under the kernel")
            text = lambda cell: comparable("".join("".join(o["text"]) for o in cell["outputs"] if o["output_type"] == "stream")
                                           .replace(str(TMP / f"runs-kernel-{name}"), "<runs>").replace(str(TMP / f"runs-nbssl-{name}"), "<runs>"))
            self.assertEqual(text(a), text(b), f"code cell {i}: stream output differs from nbssl run")
            # the kernel adds plotly.js once, as an output of its own before the first chart
            kinds = lambda cell: [o["output_type"] for o in cell["outputs"] if o["output_type"] in ("display_data", "execute_result")
                                  and not "".join(o.get("data", {}).get("text/plain", "")).startswith("(plotly.js")]
            self.assertEqual(kinds(a), kinds(b), f"code cell {i}: displayed outputs differ from nbssl run")

    def test_00_getting_started(self):
        self.run_notebook("00-getting-started")

    def test_01_decoder_locality(self):
        self.run_notebook("01-decoder-locality")


class Browser(unittest.TestCase):
    """The classic Jupyter Notebook server with the kernel, driven by headless Chromium (playwright-core from npm)."""

    CELLS = [
        "var xs = Enumerable.Range(0, 20).ToArray();\nvar ys = xs.Select(x => Math.Sin(x / 3.0)).ToArray();",
        "display(Plotly.NET.CSharp.Chart.Line<int, double, string>(x: xs, y: ys, Name: \"sin\"));",
    ]

    def test_a_chart_draws_in_the_classic_notebook(self):
        chromium = shutil.which("chromium")
        if not (chromium and shutil.which("node") and shutil.which("npm") and shutil.which("jupyter-notebook")):
            self.skipTest("needs chromium, node, npm and jupyter-notebook (apt-get install chromium npm jupyter-notebook)")
        modules = TMP / "npm"
        npm = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(modules), "playwright-core@1"],
                             capture_output=True, text=True)
        if npm.returncode != 0:
            self.skipTest("npm could not install playwright-core: " + npm.stderr.strip()[-300:])
        root = TMP / "notebook-server"
        root.mkdir(exist_ok=True)
        nb = {"nbformat": 4, "nbformat_minor": 5,
              "metadata": {"kernelspec": {"name": "nbssl-csharp", "display_name": "C# (nbssl)", "language": "csharp"}},
              "cells": [{"cell_type": "code", "id": f"c{i}", "metadata": {}, "source": c, "outputs": [], "execution_count": None}
                        for i, c in enumerate(self.CELLS)]}
        (root / "chart.ipynb").write_text(json.dumps(nb))
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = subprocess.Popen(
            ["jupyter-notebook", "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}",
             "--NotebookApp.token=nbssl-test", "--NotebookApp.password=", f"--notebook-dir={root}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(3)
            shot = TMP / "chart.png"
            env = dict(os.environ, NODE_PATH=str(modules / "node_modules"), CHROMIUM=chromium)
            run = subprocess.run(["node", str(Path(__file__).parent / "notebook_chart.mjs"),
                                  f"http://127.0.0.1:{port}/notebooks/chart.ipynb?token=nbssl-test", str(shot)],
                                 capture_output=True, text=True, env=env, timeout=400)
            self.assertEqual(run.returncode, 0, run.stdout[-2000:] + run.stderr[-2000:])
            self.assertIn("drawn", run.stdout)
            self.assertGreater(shot.stat().st_size, 10000)
            keep = os.environ.get("NBSSL_KEEP_SCREENSHOT")
            if keep:
                shutil.copy(shot, keep)
        finally:
            server.terminate()
            server.wait(timeout=30)


class Kernelspecs(unittest.TestCase):
    def test_jupyter_lists_both(self):
        listed = json.loads(subprocess.run(["jupyter", "kernelspec", "list", "--json"], capture_output=True, text=True, check=True).stdout)
        specs = listed["kernelspecs"]
        for name, language in (("nbssl-csharp", "csharp"), ("nbssl-fsharp", "fsharp")):
            self.assertIn(name, specs)
            self.assertEqual(specs[name]["spec"]["language"], language)
            self.assertEqual(specs[name]["spec"]["interrupt_mode"], "message")
            self.assertEqual(specs[name]["spec"]["argv"][1], str(DLL))
            self.assertTrue((Path(specs[name]["resource_dir"]) / "logo-64x64.png").exists())


if __name__ == "__main__":
    program = unittest.main(exit=False, verbosity=2)
    result = program.result
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped
    for k, v in TIMINGS.items():
        print(f"timing: {k}: {v}")
    print(f"kernel tests: {passed} passed, {failed} failed, {skipped} skipped")
    sys.exit(1 if failed else 0)
