from helpers import files


def test_replace_folder_swaps_a_whole_folder_in(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "model.safetensors").write_text("old full model")
    partial = files.partial_folder(folder)
    (partial / "adapter_model.safetensors").write_text("new adapter")
    files.replace_folder(partial, folder)
    assert [p.name for p in folder.iterdir()] == ["adapter_model.safetensors"]  # nothing of the old one mixed in
    assert [p.name for p in tmp_path.iterdir()] == ["model"]  # no partial or old copy left beside it


def test_replace_folder_creates_a_new_one(tmp_path):
    partial = files.partial_folder(tmp_path / "deep" / "new")
    (partial / "a.txt").write_text("a")
    files.replace_folder(partial, tmp_path / "deep" / "new")
    assert (tmp_path / "deep" / "new" / "a.txt").read_text() == "a"


def test_partial_folders_are_each_their_own(tmp_path):
    first, second = files.partial_folder(tmp_path / "x"), files.partial_folder(tmp_path / "x")
    assert first != second and first.is_dir() and second.is_dir()


def test_write_text_replaces_in_one_step(tmp_path):
    path = tmp_path / "metrics.json"
    path.write_text('{"evaluated": false}')
    files.write_text(path, '{"evaluated": true}')
    assert path.read_text() == '{"evaluated": true}' and [p.name for p in tmp_path.iterdir()] == ["metrics.json"]
