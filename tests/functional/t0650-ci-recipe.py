#!/usr/bin/python3
"""t0650-ci-recipe.py - run docs/ci.md's CI recipes locally (t0650's driver).

    t0650-ci-recipe.py github|gitlab --doc DOC --work DIR --state DIR
                       --event push|pull_request [--set NAME=VALUE ...]

Takes the GitHub workflow or the GitLab job out of DOC (the YAML block
after a line naming `.github/workflows/*.yml` or `.gitlab-ci.yml`) and
runs it like the CI service would, in DIR (the checked-out project):

  github  every step in order, `if:` evaluated (always(), success(),
          failure(), comparisons of github.*/env.*), `run:` with
          `bash --noprofile --norc -eo pipefail`, GITHUB_ENV/GITHUB_PATH
          honoured, one GITHUB_STEP_SUMMARY file per step, joined into
          STATE/run/step-summary.md.  `uses:` steps are simulated:
          actions/checkout (with `repository:` copies STATE/src), setup-python
          (the test's Python is `python` on PATH), upload-artifact (copies
          the files to STATE/artifacts/RUN/NAME).
  gitlab  the job's `rules`, then before_script + script in one shell and
          after_script in another (both -eo pipefail, as GitLab's bash),
          artifacts copied to STATE/run/artifacts, and, when the job
          succeeded, to STATE/gitlab/REF/JOB for the next run's download.

Fakes on PATH (STATE/shims): sudo (runs the command), apt-get (does
nothing), gh (run list / run download over STATE/runs.json and
STATE/artifacts; pr comment into STATE/comments.json), curl (the job artifacts API over STATE/gitlab) and
python (the interpreter in $CI_PYTHON).  DESTDIR=STATE/stage stages
`make install`; its bin directory is on PATH.

Prints one JSON object: {"status": "success"|"failure", "steps": [...]}.
Exit 0 when the run could be simulated, 3 when DOC uses something this
driver does not know (so the test fails rather than skips it).
"""
import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys

import yaml

STEP_TIMEOUT = 600


class Unsupported(Exception):
    pass


# --- DOC ---------------------------------------------------------------------
def yaml_blocks(doc):
    """(file name, text) of every ```yaml block preceded by a `NAME`: line."""
    out = []
    lines = open(doc, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```yaml":
            j = i + 1
            while j < len(lines) and lines[j].strip() != "```":
                j += 1
            k = i - 1
            while k >= 0 and not lines[k].strip():
                k -= 1
            m = re.match(r"^`([^`]+)`:$", lines[k].strip()) if k >= 0 else None
            out.append((m.group(1) if m else None, "\n".join(lines[i + 1:j])))
            i = j
        i += 1
    return out


def recipe(doc, kind):
    for name, text in yaml_blocks(doc):
        if not name:
            continue
        if kind == "github" and name.startswith(".github/workflows/"):
            return name, yaml.safe_load(text)
        if kind == "gitlab" and name == ".gitlab-ci.yml":
            return name, yaml.safe_load(text)
    raise Unsupported("no %s recipe in %s" % (kind, doc))


# --- fakes -------------------------------------------------------------------
SHIM_SUDO = """#!/bin/sh
# sudo: the test already has the rights it needs; DESTDIR stages installs
exec "$@"
"""

SHIM_APT = """#!/bin/sh
echo "apt-get (faked): $*" >&2
exit 0
"""

SHIM_GH = r'''#!/usr/bin/python3
# gh: the two commands the recipe uses, over the runs recorded by the driver
import json, os, shutil, subprocess, sys
state = os.environ["CI_SIM_STATE"]
a = sys.argv[1:]
if not os.environ.get("GH_TOKEN") and not os.environ.get("GITHUB_TOKEN"):
    sys.exit("gh: set the GH_TOKEN environment variable to use gh in GitHub Actions")
def opt(names, default=None):
    for i, x in enumerate(a):
        for n in names:
            if x == n and i + 1 < len(a):
                return a[i + 1]
            if x.startswith(n + "="):
                return x[len(n) + 1:]
    return default
if a[:2] == ["run", "list"]:
    runs = json.load(open(os.path.join(state, "runs.json")))
    wf = opt(["--workflow", "-w"])
    sel = [r for r in runs
           if (wf is None or r["workflow"] == wf)
           and opt(["--branch", "-b"]) in (None, r["branch"])
           and opt(["--event", "-e"]) in (None, r["event"])
           and opt(["--status", "-s"]) in (None, r["status"])]
    sel.sort(key=lambda r: -r["id"])
    sel = sel[:int(opt(["--limit", "-L"], "20"))]
    fields = (opt(["--json"]) or "").split(",")
    if fields != ["databaseId"]:
        sys.exit("gh (faked): run list supports --json databaseId only")
    doc = json.dumps([{"databaseId": r["id"]} for r in sel])
    q = opt(["--jq", "-q"])
    if q:
        sys.exit(subprocess.run(["jq", "-r", q], input=doc.encode()).returncode)
    print(doc)
elif a[:2] == ["run", "download"]:
    run_id, name = a[2], opt(["--name", "-n"])
    dest = opt(["--dir", "-D"], ".")
    src = os.path.join(state, "artifacts", run_id, name or "")
    if not name or not os.path.isdir(src):
        sys.exit("gh (faked): no artifact %r in run %s" % (name, run_id))
    os.makedirs(dest, exist_ok=True)
    for f in os.listdir(src):
        shutil.copy2(os.path.join(src, f), dest)
elif a[:2] == ["pr", "comment"]:
    # comments in STATE/comments.json, as the workflow's token writes them
    number, body_file = a[2], opt(["--body-file", "-F"])
    if opt(["--repo", "-R"]) != os.environ.get("GITHUB_REPOSITORY") or not body_file:
        sys.exit("gh (faked): pr comment needs --repo and --body-file")
    if os.environ.get("GH_FAKE_READONLY"):
        sys.exit("GraphQL: Resource not accessible by integration (addComment)")
    path = os.path.join(state, "comments.json")
    comments = json.load(open(path)) if os.path.exists(path) else []
    mine = [c for c in comments
            if c["pr"] == number and c["author"] == "github-actions[bot]"]
    body = open(body_file).read()
    if "--edit-last" in a and mine:
        mine[-1]["body"] = body
        mine[-1]["edits"] += 1
    elif "--edit-last" in a and "--create-if-none" not in a:
        sys.exit("no comments found for current user")
    else:
        comments.append({"pr": number, "author": "github-actions[bot]",
                         "body": body, "edits": 0})
    json.dump(comments, open(path, "w"))
else:
    sys.exit("gh (faked): unsupported: gh %s" % " ".join(a))
'''

SHIM_CURL = r'''#!/usr/bin/python3
# curl: GitLab's "download the artifacts archive" by ref and job name only
import os, re, sys, zipfile
state = os.environ["CI_SIM_STATE"]
a = sys.argv[1:]
out, headers, url, fail = None, [], None, False
i = 0
while i < len(a):
    x = a[i]
    if x in ("-o", "--output"):
        out = a[i + 1]; i += 1
    elif x in ("-H", "--header"):
        headers.append(a[i + 1]); i += 1
    elif x in ("-f", "--fail"):
        fail = True
    elif x in ("-s", "--silent", "-S", "--show-error", "-L", "--location", "-sS", "-fsSL"):
        pass
    elif x.startswith("-"):
        sys.exit("curl (faked): unsupported option %s" % x)
    else:
        url = x
    i += 1
base = "%s/projects/%s/jobs/artifacts/" % (os.environ["CI_API_V4_URL"], os.environ["CI_PROJECT_ID"])
m = re.match(re.escape(base) + r"([^/]+)/download\?job=([^&]+)$", url or "")
if not m or not out:
    sys.exit("curl (faked): unsupported request %r" % url)
if not any(re.match(r"^(JOB-TOKEN|PRIVATE-TOKEN): \S+$", h) for h in headers):
    sys.stderr.write("curl: (22) The requested URL returned error: 401\n")
    sys.exit(22)
src = os.path.join(state, "gitlab", m.group(1), m.group(2))
if not os.path.isdir(src):
    sys.stderr.write("curl: (22) The requested URL returned error: 404\n")
    sys.exit(22 if fail else 0)
with zipfile.ZipFile(out, "w") as z:
    for f in sorted(os.listdir(src)):
        z.write(os.path.join(src, f), f)
'''


def make_shims(state):
    d = os.path.join(state, "shims")
    os.makedirs(d, exist_ok=True)
    for name, text in (("sudo", SHIM_SUDO), ("apt-get", SHIM_APT),
                       ("gh", SHIM_GH), ("curl", SHIM_CURL)):
        p = os.path.join(d, name)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, 0o755)
    py = os.path.join(d, "python")
    if os.path.lexists(py):
        os.unlink(py)
    os.symlink(os.environ["CI_PYTHON"], py)
    return d


def base_env(state, work):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GITHUB_", "CI_", "GITLAB_", "RUNNER_", "MAKE"))
           # make exports its command-line variables: `make check
           # SANITIZE=...` must not turn the recipe's build into a
           # sanitizer build
           and k not in ("MFLAGS", "DESTDIR", "PREFIX", "SANITIZE", "BUILD",
                         "V", "Q")}
    home = os.path.join(state, "home")
    os.makedirs(home, exist_ok=True)
    env.update({
        "HOME": home, "CI": "true", "CI_SIM_STATE": state,
        "DESTDIR": os.path.join(state, "stage"),
        "PATH": ":".join([os.path.join(state, "shims"),
                          os.path.join(state, "stage/usr/local/bin"),
                          os.environ["PATH"]]),
    })
    return env


def run_script(text, env, cwd, log, label):
    path = os.path.join(os.path.dirname(log), label + ".sh")
    with open(path, "w") as f:
        f.write(text if text.endswith("\n") else text + "\n")
    with open(log, "a") as lf:
        lf.write("=== %s\n" % label)
        lf.flush()
        try:
            r = subprocess.run(["bash", "--noprofile", "--norc", "-eo",
                                "pipefail", path], cwd=cwd, env=env,
                               stdout=lf, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, timeout=STEP_TIMEOUT)
            rc = r.returncode
        except subprocess.TimeoutExpired:
            rc = 124
        lf.write("=== %s: exit %d\n" % (label, rc))
    return rc


def copy_files(patterns, work, dest):
    """Copy workspace files matching patterns into dest; names copied."""
    os.makedirs(dest, exist_ok=True)
    got = []
    for pat in patterns:
        if pat.startswith("!"):
            raise Unsupported("exclusion patterns in artifact paths")
        for p in sorted(glob.glob(os.path.join(work, pat))):
            if os.path.isfile(p):
                shutil.copy2(p, dest)
                got.append(os.path.relpath(p, work))
    return got


# --- GitHub ------------------------------------------------------------------
TOKEN = re.compile(r"\s*('(?:[^']|'')*'|&&|\|\||==|!=|!|\(|\)|"
                   r"[A-Za-z_][\w.-]*\(\)|[A-Za-z_][\w.-]*|\d+(?:\.\d+)?)")


def gh_eval(expr, ctx, status):
    py, pos, e = [], 0, expr.strip()
    while pos < len(e):
        m = TOKEN.match(e, pos)
        if not m:
            raise Unsupported("expression %r" % expr)
        t = m.group(1)
        pos = m.end()
        if t.startswith("'"):
            py.append(repr(t[1:-1].replace("''", "'")))
        elif t in ("&&", "||"):
            py.append(" and " if t == "&&" else " or ")
        elif t == "!":
            py.append(" not ")
        elif t in ("==", "!=", "(", ")") or t[0].isdigit():
            py.append(t)
        elif t in ("true", "false"):
            py.append(str(t == "true"))
        elif t.endswith("()"):
            f = t[:-2]
            if f not in ("always", "success", "failure", "cancelled"):
                raise Unsupported("function %s" % t)
            py.append(repr({"always": True, "cancelled": False,
                            "success": status == "success",
                            "failure": status == "failure"}[f]))
        elif t in ctx:
            py.append(repr(ctx[t]))
        elif t.startswith("env.") and t[4:] in ctx["__env__"]:
            py.append(repr(ctx["__env__"][t[4:]]))
        else:
            raise Unsupported("context value %s" % t)
    return eval("".join(py), {"__builtins__": {}})


def gh_subst(value, ctx, status="success"):
    if not isinstance(value, str):
        return value
    return re.sub(r"\$\{\{(.*?)\}\}",
                  lambda m: str(gh_eval(m.group(1), ctx, status)), value)


def read_env_file(path):
    """GITHUB_ENV syntax: NAME=value lines and NAME<<DELIM heredocs."""
    out = {}
    if not os.path.exists(path):
        return out
    lines = open(path).read().split("\n")
    i = 0
    while i < len(lines):
        ln = lines[i]
        if "<<" in ln and ("=" not in ln or ln.index("<<") < ln.index("=")):
            name, delim = ln.split("<<", 1)
            j = i + 1
            buf = []
            while j < len(lines) and lines[j] != delim:
                buf.append(lines[j])
                j += 1
            out[name] = "\n".join(buf)
            i = j
        elif "=" in ln:
            name, val = ln.split("=", 1)
            out[name] = val
        i += 1
    return out


def run_github(args, state, work, rundir, log):
    fname, wf = recipe(args.doc, "github")
    wf_name = os.path.basename(fname)
    runs_path = os.path.join(state, "runs.json")
    runs = json.load(open(runs_path)) if os.path.exists(runs_path) else []
    run_id = 1000 + len(runs)
    pr = args.event == "pull_request"
    env = base_env(state, work)
    env.update({
        "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": work,
        "GITHUB_EVENT_NAME": args.event, "GITHUB_REPOSITORY": "example/project",
        "GITHUB_RUN_ID": str(run_id), "GITHUB_RUN_NUMBER": str(len(runs) + 1),
        "GITHUB_SHA": "0" * 40, "GITHUB_WORKFLOW": wf.get("name", wf_name),
        "GITHUB_REF_NAME": "7/merge" if pr else "main",
        "GITHUB_REF": "refs/pull/7/merge" if pr else "refs/heads/main",
        "GITHUB_BASE_REF": "main" if pr else "",
        "GITHUB_HEAD_REF": "feature" if pr else "",
        "RUNNER_OS": "Linux", "RUNNER_ARCH": "X64",
        "RUNNER_TEMP": os.path.join(rundir, "runner-temp"),
    })
    os.makedirs(env["RUNNER_TEMP"], exist_ok=True)
    ctx = {
        "github.token": "fake-token", "secrets.GITHUB_TOKEN": "fake-token",
        "github.event_name": args.event, "github.base_ref": env["GITHUB_BASE_REF"],
        "github.head_ref": env["GITHUB_HEAD_REF"],
        "github.event.pull_request.number": "7" if pr else "",
        "github.ref_name": env["GITHUB_REF_NAME"],
        "github.repository": "example/project", "github.workspace": work,
        "github.run_id": str(run_id), "runner.temp": env["RUNNER_TEMP"],
        "__env__": {},
    }
    on = wf.get(True, wf.get("on"))  # YAML 1.1 reads `on:` as True
    if args.event not in (on or {}):
        raise Unsupported("the workflow does not run on %s" % args.event)
    wf_env = {k: str(v) for k, v in (wf.get("env") or {}).items()}
    wf_env.update(args.set)
    if len(wf["jobs"]) != 1:
        raise Unsupported("more than one job")
    job = next(iter(wf["jobs"].values()))
    job_env = dict(wf_env)
    ctx["__env__"] = job_env
    for k, v in (job.get("env") or {}).items():
        job_env[k] = gh_subst(str(v), ctx)
    status, steps, added_env, added_path = "success", [], {}, []
    summary = os.path.join(rundir, "step-summary.md")
    open(summary, "w").close()
    for n, step in enumerate(job["steps"]):
        name = step.get("name") or step.get("uses") or step.get("run", "").split("\n")[0]
        cond = str(step.get("if", "success()"))
        cond = cond.strip()
        if cond.startswith("${{") and cond.endswith("}}"):
            cond = cond[3:-2]
        if not re.search(r"\b(always|success|failure|cancelled)\(\)", cond):
            cond = "success() && (%s)" % cond
        senv = dict(job_env)
        senv.update(added_env)
        ctx["__env__"] = senv
        if not gh_eval(cond, ctx, status):
            steps.append({"name": name, "ran": False})
            continue
        for k, v in (step.get("env") or {}).items():
            senv[k] = gh_subst(str(v), ctx, status)
        rec = {"name": name, "ran": True}
        if "uses" in step:
            rc = gh_uses(step, ctx, status, state, work, run_id, rec)
        else:
            if "${{" in step["run"]:
                raise Unsupported("${{ }} inside run: (pass it through env:)")
            files = {}
            for k in ("GITHUB_ENV", "GITHUB_PATH", "GITHUB_OUTPUT",
                      "GITHUB_STEP_SUMMARY", "GITHUB_STATE"):
                files[k] = os.path.join(rundir, "%s-%d" % (k.lower(), n))
                open(files[k], "w").close()
            e = dict(env)
            e.update(senv)
            e.update(files)
            e["PATH"] = ":".join(added_path[::-1] + [env["PATH"]])
            cwd = os.path.join(work, step.get("working-directory", "."))
            rc = run_script(step["run"], e, cwd, log, "step-%02d" % n)
            added_env.update(read_env_file(files["GITHUB_ENV"]))
            added_path += [p for p in open(files["GITHUB_PATH"]).read().split("\n") if p]
            with open(summary, "a") as s:
                s.write(open(files["GITHUB_STEP_SUMMARY"]).read())
        rec["rc"] = rc
        steps.append(rec)
        if rc and not step.get("continue-on-error"):
            status = "failure"
    runs.append({"id": run_id, "workflow": wf_name, "event": args.event,
                 "branch": "feature" if pr else "main", "status": status})
    json.dump(runs, open(runs_path, "w"))
    return {"status": status, "steps": steps, "run_id": run_id,
            "summary": summary}


def gh_uses(step, ctx, status, state, work, run_id, rec):
    uses = step["uses"]
    w = {k: gh_subst(str(v), ctx, status) for k, v in (step.get("with") or {}).items()}
    action = uses.split("@")[0]
    if action == "actions/checkout":
        if "repository" in w:  # gilspy's source: the snapshot the test made
            if not w["repository"] or not w.get("path"):
                raise Unsupported("checkout of another repository without path")
            dest = os.path.join(work, w["path"])
            shutil.rmtree(dest, ignore_errors=True)
            shutil.copytree(os.path.join(state, "src"), dest, symlinks=True)
        return 0
    if action == "actions/setup-python":
        if "python-version" not in w:
            raise Unsupported("setup-python without python-version")
        return 0
    if action == "actions/upload-artifact":
        pats = [p.strip() for p in w["path"].split("\n") if p.strip()]
        dest = os.path.join(state, "artifacts", str(run_id), w["name"])
        rec["uploaded"] = copy_files(pats, work, dest)
        if not rec["uploaded"] and w.get("if-no-files-found", "warn") == "error":
            return 1
        return 0
    raise Unsupported("uses: %s" % uses)


# --- GitLab ------------------------------------------------------------------
def gl_rule(expr, env):
    toks = re.findall(r'\$\w+|"[^"]*"|\'[^\']*\'|==|!=|&&|\|\||\S+', expr)
    py = []
    for t in toks:
        if t.startswith("$"):
            py.append(repr(env.get(t[1:], None)))
        elif t[0] in "\"'":
            py.append(repr(t[1:-1]))
        elif t in ("==", "!="):
            py.append(t)
        elif t in ("&&", "||"):
            py.append(" and " if t == "&&" else " or ")
        else:
            raise Unsupported("rules expression %r" % expr)
    return eval("".join(py), {"__builtins__": {}})


def as_lines(v):
    if v is None:
        return []
    return [v] if isinstance(v, str) else list(v)


def run_gitlab(args, state, work, rundir, log):
    _, conf = recipe(args.doc, "gitlab")
    jobs = {k: v for k, v in conf.items()
            if isinstance(v, dict) and "script" in v and not k.startswith(".")}
    if len(jobs) != 1:
        raise Unsupported("more than one job")
    jname, job = next(iter(jobs.items()))
    mr = args.event == "pull_request"
    env = base_env(state, work)
    env.update({
        "GITLAB_CI": "true", "CI_PROJECT_DIR": work, "CI_JOB_NAME": jname,
        "CI_JOB_TOKEN": "fake-job-token", "CI_PROJECT_ID": "42",
        "CI_API_V4_URL": "https://gitlab.invalid/api/v4",
        "CI_DEFAULT_BRANCH": "main",
        "CI_PIPELINE_SOURCE": "merge_request_event" if mr else "push",
        "CI_COMMIT_REF_NAME": "feature" if mr else "main",
    })
    if mr:
        env.update({"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
                    "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feature",
                    "CI_MERGE_REQUEST_IID": "7"})
    else:
        env["CI_COMMIT_BRANCH"] = "main"
    for k, v in list((conf.get("variables") or {}).items()) + \
            list((job.get("variables") or {}).items()):
        env[k] = str(v)
    env.update(args.set)
    rules = job.get("rules")
    if rules is not None and not any(gl_rule(r["if"], env) for r in rules if "if" in r):
        return {"status": "skipped", "steps": []}
    steps = []
    main_script = as_lines(job.get("before_script")) + as_lines(job.get("script"))
    rc = run_script("\n".join(main_script), env, work, log, "script")
    steps.append({"name": "before_script + script", "ran": True, "rc": rc})
    rc_after = run_script("\n".join(as_lines(job.get("after_script"))), env,
                          work, log, "after_script")
    steps.append({"name": "after_script", "ran": True, "rc": rc_after})
    status = "failure" if rc else "success"
    art = job.get("artifacts") or {}
    when = art.get("when", "on_success")
    out = {"status": status, "steps": steps}
    if when == "always" or (when == "on_success") == (status == "success"):
        out["uploaded"] = copy_files(as_lines(art.get("paths")), work,
                                     os.path.join(rundir, "artifacts"))
        reports = art.get("reports") or {}
        out["reports"] = {k: [p for p in as_lines(v) if os.path.isfile(os.path.join(work, p))]
                          for k, v in reports.items()}
        if status == "success":
            copy_files(as_lines(art.get("paths")), work,
                       os.path.join(state, "gitlab", env["CI_COMMIT_REF_NAME"], jname))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=("github", "gitlab"))
    ap.add_argument("--doc", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--state", required=True)
    ap.add_argument("--event", choices=("push", "pull_request"), required=True)
    ap.add_argument("--set", action="append", default=[])
    args = ap.parse_args()
    args.set = dict(s.split("=", 1) for s in args.set)
    state, work = os.path.abspath(args.state), os.path.abspath(args.work)
    rundir = os.path.join(state, "run")
    shutil.rmtree(rundir, ignore_errors=True)
    os.makedirs(rundir)
    make_shims(state)
    log = os.path.join(rundir, "log")
    try:
        res = (run_github if args.kind == "github" else run_gitlab)(
            args, state, work, rundir, log)
    except Unsupported as e:
        print(json.dumps({"status": "unsupported", "why": str(e)}))
        return 3
    res["log"] = log
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
