"""Every `python tools/...` command in the READMEs names a tool that exists
and only flags that tool defines (read from its argparse calls), so the
docs cannot drift from the code unnoticed."""
import glob
import os.path as osp
import re

import pytest

from conftest import ROOT

DOCS = [osp.join(ROOT, 'README.md'), osp.join(ROOT, 'data', 'README.md')] + \
    sorted(glob.glob(osp.join(ROOT, 'configs', '*', 'README.md')))
CLI = osp.join(ROOT, 'spinemm', 'engine', 'cli.py')


def _commands(path):
    text = open(path).read()
    blocks = re.findall(r'```(?:bash|sh)?\n(.*?)```', text, re.S)
    # inline `python tools/...` spans too
    inline = re.findall(r'`(python tools/[^`]+)`', text)
    out = []
    for block in blocks:
        joined = re.sub(r'\\\n\s*', ' ', block)
        for line in joined.splitlines():
            line = line.split('#')[0].strip()
            m = re.search(r'python (tools/\S+\.py)(.*)', line)
            if m:
                out.append((m.group(1), m.group(2)))
    for span in inline:
        m = re.match(r'python (tools/\S+\.py)(.*)', span)
        if m:
            out.append((m.group(1), m.group(2)))
    return out


def _flags_of(tool):
    src = open(osp.join(ROOT, tool)).read()
    if 'engine.cli' in src or 'add_train_args' in src or \
            'add_test_args' in src:
        src += open(CLI).read()
    return set(re.findall(r"""['"](--[a-z0-9][a-z0-9-_]*)['"]""", src)) | {
        '--help'}


CASES = [(osp.relpath(doc, ROOT), tool, args) for doc in DOCS
         for tool, args in _commands(doc)]


def test_the_readmes_have_commands():
    assert len(CASES) > 30


@pytest.mark.parametrize('doc,tool,args', CASES,
                         ids=[f'{d}:{t}' for d, t, _ in CASES])
def test_readme_command_matches_argparse(doc, tool, args):
    assert osp.isfile(osp.join(ROOT, tool)), f'{doc}: no {tool}'
    used = set(re.findall(r'(?<![\w-])(--[a-z0-9][a-z0-9-_]*)', args))
    unknown = sorted(used - _flags_of(tool))
    assert unknown == [], f'{doc}: {tool} has no {unknown}'


def test_model_index_lists_a_metafile_per_task_folder_with_real_configs():
    import yaml
    index = yaml.safe_load(open(osp.join(ROOT, 'model-index.yml')))
    listed = set(index['Import'])
    folders = sorted(d for d in glob.glob(osp.join(ROOT, 'configs', '*'))
                     if osp.isdir(d) and not d.endswith('_base_'))
    for d in folders:
        rel = osp.relpath(osp.join(d, 'metafile.yml'), ROOT)
        assert rel in listed, f'model-index.yml lacks {rel}'
    for rel in listed:
        meta = yaml.safe_load(open(osp.join(ROOT, rel)))
        for model in meta['Models']:
            assert osp.isfile(osp.join(ROOT, model['Config'])), model
            assert model.get('Results'), f'{rel}: {model["Name"]} has none'
