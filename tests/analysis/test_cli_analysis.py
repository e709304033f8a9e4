"""The analysis commands through the real `civicpulse` entry point."""

from __future__ import annotations

import json

from conftest import mastodon_status, write_json


def lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_analyze_text_round_trips_input_fields_and_adds_labels(run_cli) -> None:
    stdin = "\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"id": 1, "text": "Kẹt xe quá trời ở Q1 😡", "source": "fb"},
        {"id": "b", "text": "Cảm ơn shop, hàng đẹp lắm"},
        {"id": 3, "text": ""},
    ]).encode()
    result = run_cli("analyze-text", stdin=stdin)
    assert result.code == 0, result.stderr
    out = lines(result.stdout)
    assert [r["id"] for r in out] == [1, "b", 3]
    assert out[0]["source"] == "fb"
    for field in ("language", "sentiment", "sentiment_score", "emotion", "topics", "places"):
        assert all(field in r for r in out), field
    assert out[0]["sentiment"] == "negative" and "traffic_transport" in out[0]["topics"]
    assert any(p["province_2025"] and "Hồ Chí Minh" in p["province_2025"] for p in out[0]["places"])
    assert out[1]["sentiment"] == "positive"
    assert out[2]["language"] == "und" and out[2]["sentiment"] == "neutral"


def test_analyze_text_reports_bad_lines_and_keeps_going(run_cli, tmp_path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": 1, "text": "ngập quá"}\n{oops\n{"id": 3}\n[1]\n{"id": 5, "text": "ok tốt"}\n',
                    encoding="utf-8")
    result = run_cli("analyze-text", "--in", str(path), "--tasks", "language,sentiment")
    assert result.code == 2
    out = lines(result.stdout)
    assert len(out) == 5
    assert [("error" in r) for r in out] == [False, True, True, True, False]
    assert f"{path}:2: not valid JSON" in result.stderr
    assert f"{path}:3: text: missing or not a string" in result.stderr
    assert out[0]["sentiment"] and out[0]["topics"] == [] and out[0]["places"] == []


def test_analyze_text_refuses_unknown_tasks(run_cli) -> None:
    result = run_cli("analyze-text", "--tasks", "sentiment,mood", stdin=b"")
    assert result.code == 1 and "unknown task(s) mood" in result.stderr


def test_analyze_command_enriches_a_workspace_incrementally(run_cli, tmp_path) -> None:
    src = write_json(tmp_path / "t.json", [mastodon_status("1", "Kẹt xe ở Q1"), mastodon_status("2", "Mất điện")])
    assert run_cli("ingest", str(src), "-w", "city").code == 0
    first = run_cli("analyze", "-w", "city", "--no-progress", "--mode", "fast")
    assert first.code == 0, first.stderr
    assert "analyzed 2 of 2" in first.stdout
    again = run_cli("analyze", "-w", "city", "--no-progress", "--mode", "fast")
    assert "analyzed 0 of 0" in again.stdout
    assert run_cli("analyze", "-w", "nowhere", "--no-progress").code == 1


def test_workspace_model_from_corrected_labels_is_used_for_that_workspace_only(run_cli, tmp_path) -> None:
    # The analysts' domain: "xanh" (green) means a smooth commute for this city desk.
    rows = ["text,label"] + [f"đường {n} xanh lè luôn,positive" for n in range(40)]
    rows += [f"đường {n} đỏ rực luôn,negative" for n in range(40)]
    labels = tmp_path / "labels.csv"
    labels.write_text("\n".join(rows) + "\n", encoding="utf-8")
    for ws in ("desk", "other"):
        assert run_cli("workspaces", "create", ws).code == 0
    trained = run_cli("train", "-w", "desk", "--task", "sentiment", "--data", str(labels))
    assert trained.code == 0, trained.stderr
    assert "trained on 80 labels" in trained.stdout and "5-fold cross-validation on 80 labels" in trained.stdout
    assert "sentiment" in run_cli("models", "-w", "desk").stdout
    stdin = json.dumps({"id": 1, "text": "đường 99 xanh lè luôn"}, ensure_ascii=False).encode()
    desk = lines(run_cli("analyze-text", "-w", "desk", "--tasks", "sentiment", stdin=stdin).stdout)
    assert desk[0]["sentiment"] == "positive"
    assert "default models" in run_cli("models", "-w", "other").stdout
    assert run_cli("models", "-w", "desk", "remove", "--task", "sentiment").code == 0
    assert run_cli("models", "-w", "desk", "remove", "--task", "sentiment").code == 1


def test_train_refuses_bad_label_files_with_file_and_line(run_cli, tmp_path) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text("text,label\nfine,positive\nhmm,great\n", encoding="utf-8")
    run_cli("workspaces", "create", "desk")
    result = run_cli("train", "-w", "desk", "--task", "sentiment", "--data", str(labels))
    assert result.code == 1 and f"{labels}:3: label: 'great'" in result.stderr
    assert "--workspace needs --task" in run_cli("train", "-w", "desk").stderr


def test_an_edited_taxonomy_drives_the_topic_classifier(run_cli, tmp_path) -> None:
    run_cli("workspaces", "create", "zoo")
    shown = run_cli("taxonomy", "show", "-w", "zoo")
    assert shown.code == 0 and 'id = "traffic_transport"' in shown.stdout
    mine = tmp_path / "mine.toml"
    mine.write_text(shown.stdout + '\n[[topic]]\nid = "stray_animals"\nlabel_en = "Stray animals"\n'
                    'label_vi = "Chó mèo hoang"\ndescription = "Stray dogs and cats, animal welfare."\n'
                    'examples = ["chó hoang", "mèo hoang", "chó thả rông cắn người", "bắt chó thả rông", '
                    '"stray dogs", "stray cats", "animal shelter", "trạm cứu hộ chó mèo"]\n', encoding="utf-8")
    result = run_cli("taxonomy", "set", "-w", "zoo", str(mine))
    assert result.code == 0, result.stderr
    stdin = json.dumps({"id": 1, "text": "Chó thả rông cắn người ở công viên, phường phải bắt chó hoang"},
                       ensure_ascii=False).encode()
    out = lines(run_cli("analyze-text", "-w", "zoo", "--tasks", "topics", stdin=stdin).stdout)
    assert "stray_animals" in out[0]["topics"], out[0]["topic_scores"]
    bad = tmp_path / "bad.toml"
    bad.write_text('[[topic]]\nid = "x"\nlabel_en = "X"\n', encoding="utf-8")
    refused = run_cli("taxonomy", "set", "-w", "zoo", str(bad))
    assert refused.code == 1 and "needs a description or example phrases" in refused.stderr


def test_topics_command_lists_discovered_topics(run_cli, tmp_path) -> None:
    statuses = [mastodon_status(str(i), f"ngập nước đường {i} sau mưa lớn triều cường") for i in range(25)]
    statuses += [mastodon_status(str(100 + i), f"metro tuyến số 1 ga {i} đông khách vé rẻ") for i in range(25)]
    run_cli("ingest", str(write_json(tmp_path / "t.json", statuses)), "-w", "city")
    assert "no discovered topics yet" in run_cli("topics", "-w", "city").stderr
    run_cli("analyze", "-w", "city", "--no-progress", "--mode", "fast")
    listed = run_cli("topics", "-w", "city", "--events")
    assert listed.code == 0
    assert "ngập" in listed.stdout and "metro" in listed.stdout


def test_train_refuses_too_few_labels_with_a_clear_message(run_cli, tmp_path) -> None:
    labels = tmp_path / "few.csv"
    labels.write_text("text,label\n" + "".join(f"đường {n} xanh lè,positive\n" for n in range(20)), encoding="utf-8")
    run_cli("workspaces", "create", "desk")
    result = run_cli("train", "-w", "desk", "--task", "sentiment", "--data", str(labels))
    assert result.code == 1 and f"{labels}: 20 labelled rows" in result.stderr and "at least 50" in result.stderr
    assert "Traceback" not in result.stderr
    assert "default models" in run_cli("models", "-w", "desk").stdout
