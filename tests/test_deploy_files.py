"""The systemd units in deploy/systemd/ and the commands in docs/deploy.md run civicpulse commands and options that
exist: each command line is parsed by the CLI's own click parser (types, choices and required options included)."""

from __future__ import annotations

import re
import shlex
import warnings
from configparser import ConfigParser
from pathlib import Path

import click
import pytest

from civicpulse.cli import main
from conftest import ROOT

UNITS = ROOT / "deploy" / "systemd"
ENV_FILE = UNITS / "civicpulse.env.example"
SHELL_OPERATORS = {";", "&", "&&", "||", "|", ">", ">>", "<"}


def env_example() -> dict[str, str]:
    """The example environment file's variables, commented-out ones included (their example values)."""
    found = {}
    for line in ENV_FILE.read_text().splitlines():
        match = re.match(r"^#? ?([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match:
            found.setdefault(match[1], match[2])
    return found


def split(line: str) -> list[str]:
    """Words as a POSIX shell splits them, with ; && | > as words of their own."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|<>")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    return list(lexer)


# Words that may stand before the program a shell line runs, and how many arguments each takes.
PREFIXES = {"exec": 0, "env": 0, "time": 0, "sudo": 0, "runuser": 0, "--": 0, "-u": 1, "nice": 0, "-n": 1}


def civicpulse_argv(words: list[str]) -> list[str] | None:
    """The arguments of the first civicpulse run by a shell line (up to the end of its command), else None."""
    i, at_start = 0, True
    while i < len(words):
        word = words[i]
        if word in SHELL_OPERATORS:
            i, at_start = i + 1, True
        elif at_start and (word in PREFIXES or re.match(r"^[A-Z_][A-Z0-9_]*=", word)):
            i += 1 + PREFIXES.get(word, 0)
        elif at_start and Path(word).name == "civicpulse":
            rest = words[i + 1:]
            return rest[:next((j for j, w in enumerate(rest) if w in SHELL_OPERATORS), len(rest))]
        else:
            i, at_start = i + 1, False
    return None


def parse(argv: list[str]) -> None:
    """Parse argv as `civicpulse ARGV` would be parsed, down to the last subcommand; raise on any error."""
    ctx = main.make_context("civicpulse", list(argv))
    command: click.Command = main
    args = _unparsed(ctx)
    while isinstance(command, click.Group) and args:
        name, command, args = command.resolve_command(ctx, args)
        try:
            ctx = command.make_context(name, list(args), parent=ctx)
        except click.BadParameter as exc:
            # A file the command will read (e.g. restore's ARCHIVE) need not exist where the tests run.
            if type(exc) is not click.BadParameter or not getattr(exc.param.type, "exists", False):
                raise
            return
        args = _unparsed(ctx) if isinstance(command, click.Group) else []


def _unparsed(ctx: click.Context) -> list[str]:
    with warnings.catch_warnings():  # click 8.2 deprecates protected_args; 9.0 will keep them all in args
        warnings.simplefilter("ignore", DeprecationWarning)
        return [*ctx.protected_args, *ctx.args]


def unit_command_lines(path: Path) -> list[list[str]]:
    """Every civicpulse invocation of a unit's Exec*= lines, with its specifiers and ${VARIABLES} filled in the way
    systemd would: the instance from DefaultInstance=, variables from the example environment file."""
    unit = ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string(path.read_text())
    instance = unit.get("Install", "DefaultInstance", fallback="")
    variables = env_example()
    found = []
    for key, value in unit.items("Service") if unit.has_section("Service") else []:
        if not key.startswith("Exec"):
            continue
        line = value.lstrip("-+@!:")
        line = line.replace("%i", instance).replace("%I", instance).replace("%%", "%")
        line = re.sub(r"\$\{([A-Z_0-9]+)\}", lambda m: variables[m[1]], line)
        words = split(line)
        if Path(words[0]).name in ("sh", "bash") and words[1:2] == ["-c"]:
            words = split(words[2])
        argv = civicpulse_argv(words)
        if argv is not None:
            found.append(argv)
    return found


def doc_command_lines(text: str) -> list[list[str]]:
    """The civicpulse command lines of a Markdown file's code blocks (continuation lines joined, comments cut)."""
    found = []
    for language, block in re.findall(r"^```([a-z]*)\n(.*?)^```", text, re.S | re.M):
        if language not in ("", "sh", "bash", "shell", "console"):
            continue  # unit files (ini) are checked as files; nginx is not a shell
        for line in block.replace("\\\n", " ").splitlines():
            try:
                words = split(line)
            except ValueError:
                continue
            argv = civicpulse_argv(words)
            if argv is not None:
                found.append(argv)
    return found


def test_every_unit_runs_existing_civicpulse_commands_and_options():
    units = sorted(UNITS.glob("*.service"))
    assert {"civicpulse.service", "civicpulse-web@.service", "civicpulse-backup.service"} <= {u.name for u in units}
    checked = 0
    for unit in units:
        for argv in unit_command_lines(unit):
            parse(argv)
            checked += 1
    assert checked >= len(units)


def test_deploy_doc_runs_existing_civicpulse_commands_and_options():
    lines = doc_command_lines((ROOT / "docs" / "deploy.md").read_text())
    assert len(lines) >= 10
    for argv in lines:
        parse(argv)


def test_the_deploy_doc_includes_every_unit_file_as_written():
    doc = (ROOT / "docs" / "deploy.md").read_text()
    for unit in sorted(UNITS.glob("*.service")) + sorted(UNITS.glob("*.timer")):
        assert unit.read_text() in doc, f"docs/deploy.md does not show {unit.name} as it is"


@pytest.mark.parametrize("argv", [
    ["serve", "--no-such-flag"],
    ["--db", "x.duckdb", "serve", "--port", "eighty"],
    ["analyze", "--workspace", "city", "--engine", "spark"],
    ["no-such-command"],
    ["analyze"],  # --workspace is required
    ["backup"],  # so is the archive
])
def test_the_check_refuses_what_civicpulse_would_refuse(argv):
    with pytest.raises(click.UsageError):
        parse(argv)


def test_the_check_reads_the_command_out_of_a_unit(tmp_path):
    unit = tmp_path / "x@.service"
    unit.write_text("[Service]\nExecStart=-/opt/v/bin/civicpulse serve --port %i\n"
                    "ExecStartPost=/bin/sh -c 'exec /usr/bin/civicpulse backup \"/b/x-$(date +%%F).tar.gz\"; true'\n"
                    "[Install]\nDefaultInstance=8001\n")
    assert unit_command_lines(unit) == [["serve", "--port", "8001"], ["backup", "/b/x-$(date +%F).tar.gz"]]
    assert civicpulse_argv(split("find /srv/civicpulse -name x")) is None  # a folder named civicpulse is no command
    assert civicpulse_argv(split("sudo -u civicpulse CIVICPULSE_WAIT=5 civicpulse stats # all")) == ["stats"]
