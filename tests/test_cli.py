"""The command line: fit a CSV file and save the fit, print a saved fit's summary, equations;
mistakes print one line and exit with status 2."""

import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

import multilevel as ml
from multilevel.cli import main, parse_prior

SLEEP = "Reaction ~ Days + (Days | Subject)"


@pytest.fixture(scope="module")
def sleep_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "sleep.csv"
    ml.load_dataset("sleepstudy").to_csv(path, index=False)
    return path


@pytest.mark.parametrize(("text", "expected"), [
    ("normal(0, 1)", ml.prior("normal(0, 1)")),
    ("normal(0,1):b", ml.prior("normal(0,1)", class_="b")),
    ("normal(0, 10):b:Days", ml.prior("normal(0, 10)", class_="b", coef="Days")),
    ("student_t(3, 0, 10):sd::Subject", ml.prior("student_t(3, 0, 10)", class_="sd",
                                                 group="Subject")),
    ("normal(0, 1), class=b, coef=ses:himinty",
     ml.prior("normal(0, 1)", class_="b", coef="ses:himinty")),
    ("exponential(1), class = sigma", ml.prior("exponential(1)", class_="sigma")),
    ("lkj(2), class=cor, group=Subject", ml.prior("lkj(2)", class_="cor", group="Subject")),
])
def test_priors_are_written_as_brms_or_in_short(text, expected):
    assert parse_prior(text) == expected


@pytest.mark.parametrize("text", ["normal(0, 1), klass=b", "normal(0, 1), coef",
                                  "normal(0, 1), coef=a, coef=b", "normal(0,1):b:c:d:e:f"])
def test_an_unreadable_prior_is_a_prior_error(text):
    with pytest.raises(ml.PriorError):
        parse_prior(text)


@pytest.mark.parametrize(("argv", "message"), [
    (["fit", SLEEP, "missing.csv"], "No data file 'missing.csv'."),
    (["fit", "Reaction ~ Dayz", "{csv}"], "Column 'Dayz' used in the population-level terms "
                                          "is not in the data. Did you mean 'Days'?"),
    (["fit", SLEEP, "{csv}", "--family", "poison"], "poison"),
    (["fit", SLEEP, "{csv}", "--prior", "normal(0, 1), klass=b"], "Cannot read 'klass=b'"),
    (["fit", SLEEP, "{csv}", "--iter", "100", "--draws", "10"], "iter=100 and draws=10"),
    (["summary", "no-such-fit"], "No saved fit at 'no-such-fit'"),
    (["equation", SLEEP, "{csv}", "--prior", "normal(0, 1):nothing"], "normal(0, 1)"),
])
def test_a_mistake_prints_one_line_and_exits_with_2(argv, message, sleep_csv, capsys):
    argv = [arg.replace("{csv}", str(sleep_csv)) for arg in argv]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("multilevel: error: "), lines
    assert message in lines[0]


def test_a_malformed_command_is_argparses_usage_error(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["fit", SLEEP])
    assert exited.value.code == 2
    assert "the following arguments are required: data" in capsys.readouterr().err


def test_the_entry_point_is_declared():
    scripts = entry_points(group="console_scripts", name="multilevel")
    assert [script.value for script in scripts] == ["multilevel.cli:main"]


def test_equation_prints_the_latex_of_ml_equation(sleep_csv, capsys):
    try:
        expected = ml.equation(SLEEP, ml.load_dataset("sleepstudy"), notation="rb").latex
    except ImportError as error:  # the equations are optional in a partial installation
        pytest.skip(f"ml.equation is not available: {error}")
    assert main(["equation", SLEEP, str(sleep_csv), "--notation", "rb"]) == 0
    assert capsys.readouterr().out == expected + "\n"


def _run(*argv: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "multilevel", *argv], capture_output=True,
                          text=True, cwd=cwd, timeout=600)


@pytest.mark.slow
def test_fit_then_summary_from_the_saved_folder(sleep_csv, tmp_path):
    fitted = _run("fit", SLEEP, str(sleep_csv), "--out", "fitdir", "--chains", "2",
                  "--draws", "100", "--warmup", "100", "--seed", "3", "--no-progress",
                  "--prior", "normal(0, 20):b", "--prob", "0.9", cwd=tmp_path)
    assert fitted.returncode == 0, fitted.stderr
    assert "   Data: sleep (Number of observations: 180) " in fitted.stdout
    assert "l-90% CI u-90% CI" in fitted.stdout
    # no traceback, no progress bar: only brms's warnings about so few draws, one line each
    assert all(line.startswith("multilevel: warning: ") for line in fitted.stderr.splitlines())
    assert (tmp_path / "fitdir" / "fit.json").is_file()
    summarised = _run("summary", "fitdir", "--prob", "0.9", cwd=tmp_path)
    assert summarised.returncode == 0, summarised.stderr
    assert summarised.stdout == fitted.stdout
    loaded = ml.load(tmp_path / "fitdir")
    assert loaded.settings.draws == 100 and loaded.seed == 3
    assert loaded.prior.set_index(["class", "coef"]).loc[("b", ""), "prior"] == "normal(0, 20)"
