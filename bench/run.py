#!/usr/bin/env python3
"""Benchmark score-rs as whole processes, the way CI pipelines run it.

For N workloads (default 1, 200, 1000, 10000) and each target (compose, k8s, terraform): time
`init` + `generate` on an empty state (first run) and `generate` again on the warm state, report
the median (and the best) wall time, the CPU time (user + system), the peak RSS, the file-system
entries the first run created, and the "serde floor": reading every input file and serialising
the same number of output bytes with serde alone (the `floor` example of score-cli), timed in the
same rounds as the runs. With both 1,000 and 10,000 measured, each target is checked against the
linear bound: time and memory at 10,000 at most 12 x those at 1,000.

    cargo build --release --bin score-rs --example floor
    python3 bench/run.py [--sizes 1,200,1000,10000] [--repeat 5] [--write docs/performance.md]
                         [--targets compose,k8s,terraform] [--dir /dev/shm --block tmpfs]

`--dir` picks the file system the synthetic monorepo lives on (default: the system temp dir);
`--block NAME` writes the table between `<!-- NAME:start -->` / `<!-- NAME:end -->` markers.
`--baseline OLD_BINARY` times OLD_BINARY and `--bin` alternately instead and reports the
speed-up of each (before -> after), the fair way to compare two builds on a noisy machine.
"""

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SYNTH = ROOT / "bench" / "synth.py"


def timed(cmd, cwd):
    """Run a command; return (seconds, peak RSS in MiB, CPU seconds: user + system)."""
    # stderr goes to a file: a pipe read only after the exit deadlocks once the warnings of
    # ~1000 workloads fill the pipe buffer.
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        if status != 0:
            err.seek(0)
            sys.exit(f"failed: {' '.join(map(str, cmd))}\n{err.read().decode()}")
    return elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


GNU_TIME = "/usr/bin/time"


def peak_rss(cmd, cwd):
    """Peak RSS in MiB of `cmd` alone. A child forked from this Python process starts with
    Python's own pages resident, so its ru_maxrss is at least Python's size (~15 MiB); GNU time
    is a small C program, so measuring through it shows the command's own peak."""
    if not os.access(GNU_TIME, os.X_OK):
        return timed(cmd, cwd)[1]
    with tempfile.NamedTemporaryFile("r") as out:
        subprocess.run([GNU_TIME, "-f", "%M", "-o", out.name, *cmd], cwd=cwd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        return int(out.read().split()[-1]) / 1024


def output_of(target):
    return "out" if target != "terraform" else "tf"


def commands(binary, files, target):
    init = [binary, "init", "--no-sample"]
    generate = [binary, "generate", *files, "--target", target, "-o", output_of(target)]
    return init, generate


def one_round(binary, files, work, target):
    """Wall and CPU seconds of a first run (init + generate on an empty state) and of a warm
    re-run (generate again): (first wall, warm wall, first cpu, warm cpu)."""
    init, generate = commands(binary, files, target)
    clear(work, target)
    t1, _, c1 = timed(init, work)
    t2, _, c2 = timed(generate, work)
    t3, _, c3 = timed(generate, work)
    return t1 + t2, t3, c1 + c2, c3


def clear(work, target):
    """Remove what a run leaves: the state directory and the target's output."""
    shutil.rmtree(work / ".score-rs", ignore_errors=True)
    out = work / output_of(target)
    if out.is_dir():
        shutil.rmtree(out)
    elif out.exists():
        out.unlink()


def entries(path):
    """File-system entries at and under `path` (0 when it does not exist)."""
    if path.is_symlink() or path.is_file():
        return 1
    if not path.is_dir():
        return 0
    return 1 + sum(entries(p) for p in path.iterdir())


def created(work, target):
    """Entries a first run created: the state directory (mounts included) and the output."""
    return entries(work / ".score-rs") + entries(work / output_of(target))


def bench_target(binary, floor_bin, files, work, target, repeat):
    """Medians over `repeat` rounds, each timing a first run, a warm re-run, the serde floor and
    (compose) the file tree back to back, so that "vs floor" is the median of per-round ratios:
    on a host whose speed drifts, a floor timed minutes apart from the run would skew it."""
    rounds, floors, trees = [], [], []
    for _ in range(repeat):
        rounds.append(one_round(binary, files, work, target))
        made = created(work, target)
        size = output_size(work, target)
        floors.append(timed([floor_bin, str(size), *files], work)[0])
        if target == "compose":
            trees.append(tree_floor(floor_bin, work))
    first, warm = [r[0] for r in rounds], [r[1] for r in rounds]
    # Memory is measured in a separate round (through GNU time, see peak_rss).
    init, generate = commands(binary, files, target)
    clear(work, target)
    rss = [peak_rss(init, work), peak_rss(generate, work), peak_rss(generate, work)]
    trees = [t for t in trees if t is not None]
    return {
        "first": statistics.median(first), "first_best": min(first),
        "warm": statistics.median(warm), "warm_best": min(warm),
        "first_cpu": statistics.median(r[2] for r in rounds),
        "warm_cpu": statistics.median(r[3] for r in rounds),
        "created": made,
        "rss": max(rss), "size": output_size(work, target),
        "floor": statistics.median(floors),
        "vs_floor": statistics.median(f / fl for f, fl in zip(first, floors)),
        "tree": statistics.median(trees) if trees else None,
    }


def output_size(work, target):
    out = work / output_of(target)
    return sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) if out.is_dir() else out.stat().st_size


def compare_target(before, after, files, work, target, repeat):
    """Medians of [`one_round`] for `before` and for `after`, run alternately so that a machine
    whose speed drifts during the run (a shared host) favours neither."""
    runs = {before: [], after: []}
    for i in range(repeat):
        for binary in (before, after) if i % 2 == 0 else (after, before):
            runs[binary].append(one_round(binary, files, work, target))
    return [tuple(statistics.median(r[k] for r in runs[b]) for k in range(4)) for b in (before, after)]


def tree_floor(floor_bin, work):
    """Time to recreate the mounted-files tree a compose run left in .score-rs/mounts (same
    directories, same file sizes) with nothing else: the file system's share of a first run.
    None when the run wrote no such tree."""
    mounts = work / ".score-rs" / "mounts"
    if not mounts.is_dir():
        return None
    shutil.rmtree(work / "floor-tree", ignore_errors=True)
    elapsed = timed([floor_bin, "--tree", str(mounts)], work)[0]
    shutil.rmtree(work / "floor-tree", ignore_errors=True)
    return elapsed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1,200,1000,10000")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--targets", default="compose,k8s,terraform")
    ap.add_argument("--bin", default=str(ROOT / "target/release/score-rs"))
    ap.add_argument("--floor", default=str(ROOT / "target/release/examples/floor"))
    ap.add_argument("--write")
    ap.add_argument("--dir", help="where to create the synthetic monorepo (its file system matters)")
    ap.add_argument("--block", default="bench", help="name of the marked block --write replaces")
    ap.add_argument("--baseline", help="another score-rs binary: time both, alternating, and report before -> after")
    args = ap.parse_args()
    # The runs' working directory is the synthetic monorepo: resolve binaries given relative.
    args.bin, args.floor = os.path.abspath(args.bin), os.path.abspath(args.floor)
    if args.baseline:
        args.baseline = os.path.abspath(args.baseline)
        return compare(args)
    rows = []
    for n, target, work, files in monorepos(args):
        # Fewer rounds for the big sizes; still two at 10,000, where the linear bound is judged.
        repeat = args.repeat if n < 1000 else max(3, args.repeat // 2) if n < 10000 else 2
        row = bench_target(args.bin, args.floor, files, work, target, repeat)
        rows.append((n, target, row))
        tree = row["tree"]
        tree_text = f"  file tree {tree*1000:6.1f} ms" if tree is not None else ""
        print(f"N={n:5d} {target:9s} first {row['first']*1000:8.1f} ms (best {row['first_best']*1000:.1f}, "
              f"cpu {row['first_cpu']*1000:.1f})  warm {row['warm']*1000:8.1f} ms (best "
              f"{row['warm_best']*1000:.1f}, cpu {row['warm_cpu']*1000:.1f})  peak RSS {row['rss']:6.1f} MiB  "
              f"created {row['created']}  output {row['size']/1024:8.1f} KiB  "
              f"floor {row['floor']*1000:6.1f} ms  ({row['vs_floor']:4.1f}x floor){tree_text}", flush=True)
    bound = linear_bound(rows)
    for line in bound:
        print(line)
    if args.write:
        write_doc(Path(args.write), rows, args.block, args.dir, bound)


LINEAR = 12


def linear_bound(rows):
    """For each target measured at 1,000 and 10,000: the growth of CPU time, wall time and peak
    RSS, each against the bound (at most LINEAR x)."""
    by = {(n, t): r for n, t, r in rows}
    lines = []
    for target in dict.fromkeys(t for _, t, _ in rows):
        small, large = by.get((1000, target)), by.get((10000, target))
        if not (small and large):
            continue
        growth = {
            "first-run CPU": large["first_cpu"] / small["first_cpu"],
            "first-run wall": large["first"] / small["first"],
            "re-run CPU": large["warm_cpu"] / small["warm_cpu"],
            "peak RSS": large["rss"] / small["rss"],
        }
        cells = ", ".join(f"{k} {v:.1f}x" for k, v in growth.items())
        verdict = "within" if all(v <= LINEAR for v in growth.values()) else "OVER"
        lines.append(f"{target}: 10,000 vs 1,000: {cells} ({verdict} the {LINEAR}x bound)")
    return lines


def monorepos(args):
    """For each size and target: (n, target, work dir, Score files relative to it). Each size's
    synthetic monorepo lives in a temporary directory under `--dir` while its targets run."""
    for n in map(int, args.sizes.split(",")):
        with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
            work = Path(tmp)
            subprocess.run([sys.executable, SYNTH, str(n), work / "workloads"], check=True)
            files = sorted(str(p.relative_to(work)) for p in (work / "workloads").glob("*.yaml"))
            for target in args.targets.split(","):
                yield n, target, work, files


def compare(args):
    rows = []
    for n, target, work, files in monorepos(args):
        before, after = compare_target(args.baseline, args.bin, files, work, target, args.repeat)
        rows.append((n, target, before, after))
        cells = [f"{name} {b*1000:7.1f} -> {a*1000:7.1f} ms ({b/a:4.2f}x)"
                 for name, b, a in zip(("first", "warm", "first cpu", "warm cpu"), before, after)]
        print(f"N={n:5d} {target:8s} " + "  ".join(cells), flush=True)
    if args.write:
        lines = [
            "| workloads | target | first run: wall | CPU | warm re-run: wall | CPU |",
            "|---:|---|---:|---:|---:|---:|",
        ]
        cell = lambda b, a: f"{b*1000:.1f} → {a*1000:.1f} ms ({b/a:.2f}×)"
        for n, target, (bf, bw, bcf, bcw), (af, aw, acf, acw) in rows:
            lines.append(f"| {n} | {target} | {cell(bf, af)} | {cell(bcf, acf)} | {cell(bw, aw)} | {cell(bcw, acw)} |")
        replace_block(Path(args.write), args.block, machine_line(args.dir), "\n".join(lines))


def machine_line(work_dir):
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    fs = filesystem(work_dir or tempfile.gettempdir())
    return f"{os.cpu_count()} cores, {cpu}, {platform.system()} {platform.release()}; work dir on {fs}"


def replace_block(path, block_name, machine, table):
    """Write `table` between the `<!-- NAME:start -->` / `<!-- NAME:end -->` markers of `path`."""
    text = path.read_text() if path.exists() else ""
    start, end = f"<!-- {block_name}:start -->", f"<!-- {block_name}:end -->"
    block = f"{start}\nMachine: {machine}\n\n{table}\n{end}"
    if start in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end):]
    else:
        text += "\n" + block + "\n"
    path.write_text(text)


def filesystem(path):
    """Type and mount options of the file system holding `path` (from /proc/mounts)."""
    path = os.path.realpath(path)
    best = ("", "unknown", "")
    try:
        for line in open("/proc/mounts"):
            _, mnt, fstype, opts = line.split()[:4]
            if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and len(mnt) >= len(best[0]):
                best = (mnt, fstype, opts)
    except OSError:
        pass
    return f"{best[1]} ({best[2]})" if best[2] else best[1]


def write_doc(path, rows, block_name, work_dir, bound):
    lines = [
        "| workloads | target | first run (init + generate): wall | CPU | warm re-run: wall | CPU | peak RSS | entries created | output | serde floor | vs floor | file tree alone |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    ms = lambda s: f"{s*1000:,.1f} ms"
    for n, target, r in rows:
        tree_text = ms(r["tree"]) if r["tree"] is not None else "–"
        lines.append(f"| {n:,} | {target} | {ms(r['first'])} (best {ms(r['first_best'])}) | {ms(r['first_cpu'])} | "
                     f"{ms(r['warm'])} (best {ms(r['warm_best'])}) | {ms(r['warm_cpu'])} | {r['rss']:.1f} MiB | "
                     f"{r['created']:,} | {r['size']/1024:,.0f} KiB | {ms(r['floor'])} | {r['vs_floor']:.1f}× | {tree_text} |")
    if bound:
        lines.append("")
        lines.extend(f"- {b}" for b in bound)
    replace_block(path, block_name, machine_line(work_dir), "\n".join(lines))

if __name__ == "__main__":
    main()
