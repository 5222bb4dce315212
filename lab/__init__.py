"""Offline course VM: image builder and QEMU runner (`./kurz lab …`).

Host side only (Linux, root for building). The public API for tests:
`lab.build.ensure_image()` and `lab.vm.VM`.
"""
