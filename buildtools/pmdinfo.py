#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""List the Keel drivers embedded in ELF files.

Usage: pmdinfo.py [--json] [--check NAME[:KEY,KEY...]]... FILE...

Each driver registration (KEEL_VDEV_DRIVER_REGISTER, ...) places a string
"KEEL_PMD_INFO={json}" in the section ".keel_pmd_info" of its object. This
tool reads that section from shared objects, executables, relocatable
objects and the members of static archives (.a), with pyelftools, and prints
one line per driver (or a JSON list with --json). With --check NAME it exits
with status 1 unless a driver called NAME was found; NAME:KEY,KEY also needs
each KEY among the parameters the driver lists ("size=<...> copy=<0|1>").
"""
import argparse
import io
import json
import re
import sys

try:
    from elftools.elf.elffile import ELFFile
    from elftools.common.exceptions import ELFError
except ImportError:
    sys.exit('pmdinfo.py: needs pyelftools (apt-get install python3-pyelftools)')

SECTION = '.keel_pmd_info'
PREFIX = b'KEEL_PMD_INFO='


def drivers_in_elf(data, origin):
    """Yield the driver dicts found in one ELF image (bytes)."""
    try:
        elf = ELFFile(io.BytesIO(data))
    except ELFError as e:
        raise ValueError(f'{origin}: not an ELF file ({e})') from e
    sec = elf.get_section_by_name(SECTION)
    if sec is None or sec['sh_type'] == 'SHT_NOBITS':
        return
    for chunk in sec.data().split(b'\0'):
        if not chunk.startswith(PREFIX):
            continue
        try:
            info = json.loads(chunk[len(PREFIX):].decode('utf-8'))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f'{origin}: bad driver info {chunk!r}: {e}') from e
        info['file'] = origin
        yield info


def ar_members(data, path):
    """Yield (name, bytes) of each member of a System V / GNU ar archive."""
    pos = 8
    names = b''
    while pos + 60 <= len(data):
        hdr = data[pos:pos + 60]
        if hdr[58:60] != b'`\n':
            raise ValueError(f'{path}: corrupt archive header at {pos}')
        name = hdr[0:16].rstrip()
        try:
            size = int(hdr[48:58].decode('ascii').strip())
        except ValueError as e:
            raise ValueError(f'{path}: bad member size at {pos}') from e
        body = data[pos + 60:pos + 60 + size]
        if len(body) != size:
            raise ValueError(f'{path}: truncated member at {pos}')
        pos += 60 + size + (size & 1)
        if name in (b'/', b'/SYM64/'):
            continue            # symbol table
        if name == b'//':
            names = body        # GNU long-name table
            continue
        if name.startswith(b'/') and name[1:].isdigit():
            off = int(name[1:])
            end = names.find(b'/\n', off)
            name = names[off:end if end >= 0 else len(names)]
        yield name.rstrip(b'/').decode('utf-8', 'replace'), body


def drivers_in_file(path):
    with open(path, 'rb') as f:
        data = f.read()
    if data.startswith(b'!<arch>\n'):
        for name, body in ar_members(data, path):
            if body.startswith(b'\x7fELF'):
                yield from drivers_in_elf(body, f'{path}({name})')
    else:
        yield from drivers_in_elf(data, path)


def param_keys(params):
    """The keys of a params string: 'size=<n> copy=<0|1>' -> {size, copy}."""
    return set(re.findall(r'(?:^|\s)([A-Za-z0-9_-]+)=', params or ''))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--json', action='store_true', help='print JSON')
    ap.add_argument('--check', action='append', default=[],
                    metavar='NAME[:KEY,...]',
                    help='fail unless driver NAME is found (listing KEYs)')
    ap.add_argument('files', nargs='+')
    args = ap.parse_intermixed_args()
    found = []
    for path in args.files:
        try:
            found.extend(drivers_in_file(path))
        except (OSError, ValueError) as e:
            print(f'pmdinfo.py: {e}', file=sys.stderr)
            return 1
    if args.json:
        print(json.dumps(found, indent=1))
    else:
        for d in found:
            extra = ' '.join(f'{k}={v}' for k, v in sorted(d.items())
                             if k not in ('name', 'file', 'params'))
            print(f"{d.get('name', '?')}: {extra} params: "
                  f"{d.get('params', '')}  [{d['file']}]")
    by_name = {d.get('name'): d for d in found}
    status = 0
    for check in args.check:
        name, _, keys = check.partition(':')
        if name not in by_name:
            print(f'pmdinfo.py: driver not found: {name}', file=sys.stderr)
            status = 1
            continue
        have = param_keys(by_name[name].get('params'))
        lacking = [k for k in keys.split(',') if k and k not in have]
        if lacking:
            print(f"pmdinfo.py: {name} does not list parameter(s) "
                  f"{' '.join(lacking)} (it lists: {' '.join(sorted(have))})",
                  file=sys.stderr)
            status = 1
    return status


if __name__ == '__main__':
    sys.exit(main())
