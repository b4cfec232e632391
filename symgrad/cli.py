"""The command line: a thin face over the API. Errors are one line on stderr and exit status 2."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from .batch import batch_item, context_of
from .check import Tolerance, check
from .documents.bank import load_bank
from .errors import SymgradError
from .grade import grade, grade_to_stream, read_submissions
from .graph import GRANULARITIES
from .naming import STYLES
from .parsing import parse
from .solve import solve
from .steps import IDENTITIES, differentiate

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own messages, one line and exit 2 as ours
        command = " ".join(dict.fromkeys(["symgrad", *self.prog.split()[1:]]))  # "symgrad" or "symgrad grade"
        self.exit(EXIT_USAGE, f"symgrad: error: {message} (see {command} --help)\n")


def _read_source(arg: str) -> str:
    """EXPR itself, '-' for standard input, or '@path' for a file."""
    if arg == "-":
        return sys.stdin.read()
    if arg.startswith("@"):
        path = Path(arg[1:])
        try:
            return path.read_text(encoding="utf-8")
        except OSError as err:
            raise SymgradError(f"cannot read {path}: {err.strerror}") from None
        except UnicodeDecodeError:
            raise SymgradError(f"cannot read {path}: it is not UTF-8 text") from None
    return arg


def _parse_point(items: Sequence[str]) -> dict | None:
    if not items:
        return None
    point = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise SymgradError(f"--at {item}: write NAME=VALUE, for example --at x=-2")
        if name in point:
            raise SymgradError(f"--at {item}: {name} is given twice")
        try:
            number = parse(value)
        except SymgradError as err:
            raise SymgradError(f"--at {item}: {err}") from None
        if number.free_symbols:
            raise SymgradError(f"--at {item}: the value must be a number, not an expression in "
                               f"{', '.join(sorted(s.name for s in number.free_symbols))}")
        point[name] = number
    return point


def cmd_solve(args: argparse.Namespace) -> int:
    solution = solve(
        _read_source(args.expr), _parse_point(args.at), names=args.names, granularity=args.granularity
    )
    result = solution.check() if args.check else None
    if args.format == "json":
        data = solution.to_dict(result)
        if args.steps:
            data["backprop"] = solution.backprop().to_dict()
        print(json.dumps(data, indent=2, ensure_ascii=False))
    elif args.format == "latex":
        print(solution.latex(), end="")
    elif args.format == "python":
        print(solution.python(), end="")
    else:
        print(solution.table(result))
        if args.steps:
            print()
            print(solution.backprop().text())
    return 1 if result is not None and not result.ok else 0


def cmd_diff(args: argparse.Namespace) -> int:
    source = _read_source(args.expr)
    derivation = differentiate(source, args.wrt, _parse_point(args.at))
    if args.format == "json":
        print(json.dumps(derivation.to_dict(), indent=2, ensure_ascii=False))
    elif args.format == "latex":
        shown = derivation if args.steps else derivation.final()
        print(shown.latex(), end="")
    else:
        print(derivation.text() if args.steps else derivation.final().text())
    return 0


def cmd_worksheet(args: argparse.Namespace) -> int:
    only = [i.strip() for i in args.only.split(",") if i.strip()] if args.only else None
    problems = load_bank(args.bank, only)
    if not problems:
        raise SymgradError("the bank has no problems")
    out = Path(args.out)
    if args.variants is not None or args.roster:
        from .documents.cohort import build, numbered, read_roster

        if args.variants is not None and args.variants < 1:
            raise SymgradError("--variants must be at least 1")
        if args.jobs is not None and args.jobs < 1:
            raise SymgradError("--jobs must be at least 1")
        ids = read_roster(Path(args.roster)) if args.roster else numbered(args.variants)
        from .documents.stress import too_few_variants

        for message in too_few_variants(problems, len(ids)):  # students would share a variant
            print(f"symgrad: warning: {message}", file=sys.stderr)
        for path in build(problems, ids, args.seed, out, pdf=args.pdf, title=args.title, jobs=args.jobs,
                          combined=args.combined):
            print(path)
        return 0
    try:
        from .documents.render import build_pdf, write

        written = write(problems, out, pdf=False, title=args.title)
    except OSError as err:
        raise SymgradError(f"cannot write to {out}: {err.strerror}") from None
    for path in written:
        print(path)
    if args.pdf:
        for path in written:
            print(build_pdf(path))
    return 0


CHECK_STATUS = {"correct": 0, "incorrect": 1, "invalid": 3, "undecided": 4}


def _tolerance(args: argparse.Namespace) -> Tolerance:
    return Tolerance(abs=args.abs_tol, rel=args.rel_tol, sigfigs=args.sigfigs, decimals=args.decimals)


def cmd_check(args: argparse.Namespace) -> int:
    tolerance = _tolerance(args)
    if args.batch:
        try:
            handle = sys.stdin if args.batch == "-" else open(args.batch, encoding="utf-8")  # noqa: SIM115
        except OSError as err:
            raise SymgradError(f"cannot read {args.batch}: {err.strerror}") from None
        with handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                print(json.dumps(batch_item(line, number, tolerance), ensure_ascii=False), flush=True)
        return 0
    if args.expected is None or args.answer is None:
        raise SymgradError("give EXPECTED and ANSWER, or --batch FILE.jsonl")
    context = context_of(args.vars, args.positive, tolerance, args.of, args.wrt)
    verdict = check(args.expected, args.answer, context)
    if args.format == "json":
        print(json.dumps(verdict.to_dict(), ensure_ascii=False))
    else:
        print(f"{verdict.verdict}: {verdict.message}")
        if verdict.parsed is not None:
            print(f"read as: {verdict.parsed.text}")
            print(f"LaTeX:   {verdict.parsed.latex}")
            for note in verdict.parsed.notes:
                print(f"note:    {note}")
    return CHECK_STATUS[verdict.verdict]


def cmd_grade(args: argparse.Namespace) -> int:
    submissions = read_submissions(Path(args.submissions))
    if args.key and not Path(args.key).is_file():
        raise SymgradError(f"cannot read the key file {args.key}")
    if args.out is None:
        grade_to_stream(submissions, sys.stdout, bank=args.bank, key_file=args.key)
        return 0
    out = Path(args.out)
    if args.workers and args.workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(args.workers) as pool:
            totals = grade(submissions, out, bank=args.bank, executor=pool, key_file=args.key)
    else:
        totals = grade(submissions, out, bank=args.bank, key_file=args.key)
    print(out)
    print(totals)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """The practice server: loopback by default, the URL and the teacher's token printed first."""
    try:
        import uvicorn  # noqa: F401

        from .serve.app import ENV, ServeConfig
    except ImportError as err:
        raise SymgradError(f"symgrad serve needs {err.name}: pip install 'symgrad[serve]'") from None
    if args.key and not Path(args.key).is_file():
        raise SymgradError(f"cannot read the key file {args.key}")
    load_bank(args.bank)  # a broken bank fails here with its own message, before any worker starts
    config = ServeConfig(bank=[str(Path(b).resolve()) for b in args.bank],
                         key=str(Path(args.key).resolve()) if args.key else None, db=str(Path(args.db).resolve()),
                         rate=args.rate, burst=max(60, int(3 * args.rate)))
    os.environ[ENV] = config.to_env()
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"symgrad practice: http://{host}:{args.port}/", flush=True)
    print(f"teacher's page:   http://{host}:{args.port}/teacher?token={config.token}", flush=True)
    print(f"attempts:         {config.db}", flush=True)
    from .serve.run import run

    run(args.host, args.port, args.workers)
    return 0


def cmd_stress(args: argparse.Namespace) -> int:
    from .documents.stress import stress

    if args.n < 1:
        raise SymgradError("--n must be at least 1")
    reports = stress(load_bank(args.bank), args.n, args.seed)
    failed = False
    for report in reports:
        print(report.line())
        for student, why in report.failures[:5]:
            print(f"    variant {student} (--seed {args.seed}): {why}")
        failed = failed or bool(report.failures)
    return 1 if failed else 0


EXPORTS = {  # system -> (module in symgrad.documents, what -o names)
    "moodle": ("moodle", "quiz.xml"),
    "qti": ("qti", "quiz.zip"),
    "prairielearn": ("prairielearn", "a course folder"),
}


def cmd_export(args: argparse.Namespace) -> int:
    """Each exporter writes with ``write(problems, out, variants=, seed=, warn=)`` and returns the paths;
    what it cannot carry it names through ``warn`` (standard error), never dropping it silently."""
    import importlib

    module, what = EXPORTS[args.system]
    out = args.output or args.out
    if not out:
        raise SymgradError(f"give the output: -o {what}" if args.system != "prairielearn"
                           else "give the output folder: -o COURSE (the course's root, or a folder to copy into it)")
    exporter = importlib.import_module(f".documents.{module}", __package__)
    problems = load_bank(args.bank)
    warn = lambda message: print(f"symgrad: warning: {message}", file=sys.stderr)  # noqa: E731
    from .documents.stress import too_few_variants

    for message in too_few_variants(problems, args.variants):
        warn(message)
    for path in exporter.write(problems, Path(out), variants=args.variants, seed=args.seed, warn=warn):
        print(path)
    return 0


def cmd_identity(args: argparse.Namespace) -> int:
    derivation = IDENTITIES[args.name]()
    if args.format == "json":
        print(json.dumps(derivation.to_dict(), indent=2, ensure_ascii=False))
    elif args.format == "latex":
        print(derivation.latex(), end="")
    else:
        print(derivation.text())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="symgrad", description="Teach and test the chain rule and backpropagation.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser(
        "solve",
        help="stage an expression or program; forward and backward passes",
        description="Stage an expression or a staged program into named intermediate variables and "
        "run the forward and backward passes.",
    )
    p.add_argument("expr", metavar="EXPR", help="an expression, a staged program, '-' for stdin, '@path' for a file")
    p.add_argument("--at", action="append", default=[], metavar="NAME=VALUE",
                   help="a value for an input (repeat for each input)")
    p.add_argument("--names", choices=STYLES, default="letters", help="naming style of intermediate variables")
    p.add_argument("--granularity", choices=GRANULARITIES, default=None,
                   help="fine: every primitive gate; coarse: sigmoid and dot products whole "
                   "(default: fine for an expression, coarse for a program)")
    p.add_argument("--format", choices=("text", "json", "latex", "python"), default="text")
    p.add_argument("--check", action="store_true",
                   help="compare the backward pass with finite differences (exit 1 on a mismatch)")
    p.add_argument("--steps", action="store_true", help="also show the backward pass step by step")
    p.set_defaults(func=cmd_solve)

    d = sub.add_parser(
        "diff",
        help="a derivative step by step, naming the rule at each step",
        description="Differentiate step by step. An expression in one variable (or with --wrt) gives the "
        "derivative rules; in several variables without --wrt, every partial and the gradient; a staged "
        "program gives the chain rule through its names. Every step is verified before it is shown.",
    )
    d.add_argument("expr", metavar="EXPR", help="an expression, a staged program, '-' for stdin, '@path' for a file")
    d.add_argument("--wrt", metavar="NAME", help="the variable to differentiate with respect to")
    d.add_argument("--at", action="append", default=[], metavar="NAME=VALUE", help="a point for the values")
    d.add_argument("--steps", action="store_true", help="show every step, not only the result")
    d.add_argument("--format", choices=("text", "latex", "json"), default="text",
                   help="json always includes the steps")
    d.set_defaults(func=cmd_diff)

    w = sub.add_parser(
        "worksheet",
        help="build the worksheet, solutions and answer key of a problem bank (LaTeX, PDF)",
        description="Write DIR/worksheet.tex, DIR/solutions.tex and DIR/answers.tex from the problem bank "
        "(the seed bank when no BANK is given) and, with --pdf, their PDFs beside them.",
    )
    w.add_argument("bank", nargs="*", metavar="BANK", help="YAML bank files (default: the seed bank)")
    w.add_argument("--out", required=True, metavar="DIR", help="the folder to write into")
    w.add_argument("--pdf", action="store_true", help="also build the PDFs (latexmk, shell escape off)")
    w.add_argument("--only", metavar="ID,...", help="only these problems, in bank order")
    w.add_argument("--title", help="the documents' heading")
    w.add_argument("--variants", type=int, metavar="N", help="one variant per student, ids 001 to N")
    w.add_argument("--roster", metavar="students.csv", help="one variant per student of a CSV with a column id")
    w.add_argument("--seed", type=int, default=0, help="the seed of the variants (default 0)")
    w.add_argument("--jobs", type=int, metavar="N",
                   help="with --variants/--roster: build the students in N processes (default: one per core)")
    w.add_argument("--combined", action="store_true",
                   help="with --variants/--roster: DIR/worksheets.pdf, solutions.pdf and answers.pdf, every "
                   "student in order from a new page, for printing (each student's own PDFs only with --pdf)")
    w.set_defaults(func=cmd_worksheet)

    c = sub.add_parser(
        "check",
        help="is an answer right? (text or LaTeX; exit 0 correct, 1 incorrect, 3 invalid, 4 undecided)",
        description="Check ANSWER against EXPECTED. The answer is read by symgrad's grammar (plain text or "
        "LaTeX), never evaluated as code. Exit status: 0 correct, 1 incorrect, 3 invalid, 4 undecided, "
        "2 usage error. With --batch, one JSON line in ({id, expected, answer, vars}) gives one JSON line out.",
    )
    c.add_argument("expected", nargs="?", metavar="EXPECTED")
    c.add_argument("answer", nargs="?", metavar="ANSWER")
    c.add_argument("--vars", metavar="x,y", help="the problem's variables (default: those of EXPECTED)")
    c.add_argument("--positive", action="store_true", help="the variables are positive")
    c.add_argument("--of", metavar="F", help="the function that was differentiated (names the mistake)")
    c.add_argument("--wrt", metavar="NAME", help="the variable it was differentiated with respect to")
    c.add_argument("--decimals", type=int, help="a numeric answer may be rounded to this many decimals")
    c.add_argument("--sigfigs", type=int, help="a numeric answer may be rounded to this many significant figures")
    c.add_argument("--abs-tol", type=float, help="absolute tolerance for a numeric answer")
    c.add_argument("--rel-tol", type=float, help="relative tolerance for a numeric answer")
    c.add_argument("--batch", metavar="FILE.jsonl", help="check every line of a JSONL file ('-' for stdin)")
    c.add_argument("--format", choices=("text", "json"), default="text")
    c.set_defaults(func=cmd_check)

    g = sub.add_parser(
        "grade",
        help="grade a CSV of submissions against the problem bank",
        description="SUBMISSIONS is a CSV with columns student, problem, part, answer; part names a key item "
        "such as grad.x or derivative.u (see symgrad/documents/keys.py). Writes OUT (one row per submission, appended "
        "as they are graded, so a stopped run resumes) and OUT-totals.csv.",
    )
    g.add_argument("submissions", metavar="SUBMISSIONS.csv")
    g.add_argument("--out", metavar="RESULTS.csv", help="the results (default: standard output)")
    g.add_argument("--key", metavar="key.jsonl", help="each student's own key, from symgrad worksheet --variants")
    g.add_argument("--bank", nargs="*", default=[], metavar="BANK", help="bank files (default: the seed bank)")
    g.add_argument("--workers", type=int, default=1, help="grade in a pool of this many processes")
    g.set_defaults(func=cmd_grade)

    st = sub.add_parser("stress", help="generate, solve and check many variants of each problem",
                        description="For each problem: N variants, each solved, rendered and numerically checked; "
                        "reports failures with the variant that reproduces them, distinct variants, the range of the "
                        "answers and the time per variant. Exit 1 if anything failed.")
    st.add_argument("bank", nargs="*", metavar="BANK")
    st.add_argument("--n", type=int, default=1000, help="variants per problem (default 1000)")
    st.add_argument("--seed", type=int, default=0)
    st.set_defaults(func=cmd_stress)

    sv = sub.add_parser("serve", help="a practice page: students type answers and get the diagnosis at once",
                        description="Serve the bank (the seed bank without BANK) on a web page with a live preview "
                        "of each answer, verdicts with their diagnosis, and the verified solutions. With --key (a "
                        "class from worksheet --variants/--roster), each student enters their id and practises their "
                        "own variant. Attempts go to an SQLite file; the teacher's page needs the printed token.")
    sv.add_argument("bank", nargs="*", metavar="BANK")
    sv.add_argument("--key", metavar="DIR/key.jsonl", help="the class's key file: each student their own variant")
    sv.add_argument("--host", default="127.0.0.1", help="the address to listen on (default loopback only)")
    sv.add_argument("--port", type=int, default=8000)
    sv.add_argument("--db", default="attempts.sqlite", help="the attempts database (SQLite, WAL mode)")
    sv.add_argument("--workers", type=int, default=1, help="server processes (they share the database)")
    sv.add_argument("--rate", type=float, default=20.0,
                    help="requests a second one client may keep up before it gets 429 (default 20)")
    sv.set_defaults(func=cmd_serve)

    ex = sub.add_parser("export", help="export a bank to Moodle XML, a Canvas QTI package or PrairieLearn questions",
                        description="moodle: -o quiz.xml (Moodle XML, a category per problem); qti: -o quiz.zip "
                        "(QTI 1.2 as Canvas imports it, a question group per problem); prairielearn: -o COURSE "
                        "(questions/<id>/ and serverFilesCourse/).")
    ex.add_argument("system", choices=tuple(EXPORTS))
    ex.add_argument("bank", nargs="*", metavar="BANK")
    ex.add_argument("--variants", type=int, default=10, help="variants per randomized problem (default 10)")
    ex.add_argument("--seed", type=int, default=0)
    ex.add_argument("-o", "--output", metavar="PATH", help="the file (Moodle, QTI) or course folder (PrairieLearn)")
    ex.add_argument("--out", metavar="DIR", help=argparse.SUPPRESS)  # the older name of -o for PrairieLearn
    ex.set_defaults(func=cmd_export)

    i = sub.add_parser("identity", help="a classic identity as steps",
                       description="tanh-sigmoid: tanh x = 2 s(2x) - 1 and its derivative; sigmoid: "
                       "s' = s(1 - s); relu: the piecewise derivative and its convention at 0.")
    i.add_argument("name", choices=sorted(IDENTITIES))
    i.add_argument("--format", choices=("text", "latex", "json"), default="text")
    i.set_defaults(func=cmd_identity)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except SymgradError as err:
        print(f"symgrad: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except RecursionError:
        print("symgrad: error: the input is nested too deeply to handle", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # the reader (head, less) has gone: nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
