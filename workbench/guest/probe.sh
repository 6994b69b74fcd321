# SPDX-License-Identifier: GPL-2.0
# Guest job of the KVM probe: reaching here is the whole test.
true
