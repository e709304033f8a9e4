"""The docs describe what the code does: fields, formats, commands."""

import re

from civicpulse import sources
from civicpulse.export import EXPORT_COLUMNS
from conftest import ROOT


def test_schema_doc_documents_every_export_field():
    doc = (ROOT / "docs" / "schema.md").read_text()
    first_cells = re.findall(r"^\| ([^|]+) \|", doc, re.M)
    documented = {name for cell in first_cells for name in re.findall(r"`([a-z_]+)`", cell)}
    assert set(EXPORT_COLUMNS) <= documented, set(EXPORT_COLUMNS) - documented


def test_formats_doc_lists_every_registered_format():
    doc = (ROOT / "docs" / "formats.md").read_text()
    listed = set(re.findall(r"^\| `([a-z0-9-]+)` \|", doc, re.M))
    assert listed == set(sources.formats())


def test_readme_opens_with_the_two_commands_and_links_existing_docs():
    readme = (ROOT / "README.md").read_text()
    head = readme[:1200]
    assert "make run" in head and "make test" in head
    for link in re.findall(r"\]\((docs/[^)]+)\)", readme):
        assert (ROOT / link).exists(), link


def test_readme_commands_exist(run_cli):
    readme = (ROOT / "README.md").read_text()
    for command in set(re.findall(r"^civicpulse (?:--db \S+ )?([a-z]+)", readme, re.M)):
        assert run_cli(command, "--help").code == 0, command


def test_analysis_doc_names_every_output_field_label_and_topic():
    from civicpulse.analysis.labels import EMOTIONS, SENTIMENTS
    from civicpulse.analysis.taxonomy import default_taxonomy
    from civicpulse.cli_analysis import OUTPUT_FIELDS

    doc = (ROOT / "docs" / "analysis.md").read_text()
    quoted = set(re.findall(r"`([a-z_0-9]+)`", doc))
    assert set(OUTPUT_FIELDS) <= quoted, set(OUTPUT_FIELDS) - quoted
    assert set(SENTIMENTS) | set(EMOTIONS) <= quoted
    assert set(default_taxonomy().ids) <= set(re.findall(r"^\| ([a-z_]+) \|", doc, re.M))
    for placeholder in ("MEASURED-ACCURACY", "MEASURED-SPEED"):
        assert placeholder not in doc


def test_analysis_doc_links_resolve():
    for name in ("analysis.md", "places.md", "discovered-topics.md", "training-data.md", "hf-backends.md"):
        doc = (ROOT / "docs" / name).read_text()
        for link in re.findall(r"\]\(([a-z-]+\.md)(?:#[^)]*)?\)", doc):
            assert (ROOT / "docs" / link).exists(), (name, link)
