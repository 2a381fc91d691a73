#!/usr/bin/env bash
# vmhi import/export: OVF corpus packages into test:///<dir>, the report
# (printed before anything is defined), --dry-run, --option, --strict,
# adaptation to refused values, malformed packages defining nothing, a
# failed define undoing the import (VMs and converted images), and
# export -> import giving the same description (issue #12).
# SPDX-License-Identifier: Apache-2.0
source "$(dirname "$0")/lib.sh"

CORPUS="${VMHI_TEST_SOURCE_DIR:?}/tests/data/ovf"

# --- dry run: the report and the description, nothing defined
expect 0 import "$CORPUS/vmware-vmx13.ovf" --dry-run
out_has 'unhonoured: line 69: web13: item 6 (ResourceType 15, CD drive'
out_has '<name>web13</name>'
out_has '<firmware>uefi</firmware>'
out_lacks 'defined'
expect 0 -q list --all
[ -s "$OUT" ] && fail "a dry run defined a VM"

# --- a descriptor whose image is nowhere: an error, nothing defined
expect 1 import "$CORPUS/vmware-vmx13.ovf"
err_has 'the image "web13-disk1.vmdk" is neither in the package nor at'
expect 0 -q list --all
[ -s "$OUT" ] && fail "an import without its image defined a VM"

# --- import from the descriptor alone: report first, then the VM
expect 0 import "$CORPUS/vmware-vmx13.ovf" --no-images
CHECKS=$((CHECKS + 1))
[ "$(grep -n 'unhonoured' "$OUT" | head -1 | cut -d: -f1)" -lt "$(grep -n "VM 'web13' defined" "$OUT" | cut -d: -f1)" ] ||
    fail "the report is not printed before the VM is defined"
expect 0 dumpconfig web13
out_has 'model="vmxnet3"'
out_has "<path>$CORPUS/web13-disk1.vmdk</path>"
out_has 'org.vmhi.ovf:system-type">vmx-13<'

# --- export, undefine, re-import: the same description
expect 0 dumpconfig web13
cp "$OUT" "$TMP/before.xml"
expect 1 export web13 -o "$TMP/web13.ova"
err_has 'an .ova carries its images'
[ -e "$TMP/web13.ova" ] && fail "a failed export left $TMP/web13.ova"
expect 0 export web13 -o "$TMP/web13.ovf"
out_has "exported to $TMP/web13.ovf"
expect 9 export web13 -o "$TMP/web13.ovf"
expect 0 undefine web13
expect 0 import "$TMP/web13.ovf" --disk-dir "$CORPUS" --no-images
expect 0 dumpconfig web13
CHECKS=$((CHECKS + 1))
diff -u "$TMP/before.xml" "$OUT" >&2 || fail "export -> import changed the description"

# --- a collection gives two VMs; an .ova; deployment options
expect 0 import "$CORPUS/collection.ovf" --no-images
out_has "VM 'web' defined"
out_has "VM 'db' defined"
# a VM that cannot be defined undoes the import: web is defined first, db
# exists, so web is undefined again
expect 0 undefine web
expect 9 import "$CORPUS/collection.ovf" --no-images
err_has "cannot define VM 'db'"
err_has "the import was undone: 1 of 1 VM(s) it defined undefined again"
out_lacks "VM 'web' defined"
expect 3 dumpconfig web
expect 0 undefine db
expect 0 import "$CORPUS/collection.ovf" --no-images
# the corpus .ova's vmdk is a placeholder: qemu-img's own message, nothing left
expect 1 import "$CORPUS/vbox-6.ova" --disk-dir "$TMP/vbox"
err_has 'qemu-img info failed (exit status 1): qemu-img: .*Unsupported VMDK version'
CHECKS=$((CHECKS + 1))
[ -z "$(ls -A "$TMP/vbox")" ] || fail "a failed conversion left files: $(ls -A "$TMP/vbox")"
expect 0 import "$CORPUS/vbox-6.ova" --no-images
out_has "VM 'devbox6' defined"
expect 0 import "$CORPUS/deploy-options.ovf" --option large --dry-run
out_has '<vcpus max="8">8</vcpus>'
expect 1 import "$CORPUS/deploy-options.ovf" --option huge --dry-run
err_has 'no deployment option "huge"'

# --- adaptation to what the connection accepts
expect_raw 0 -c "test://$TMP/host2?refuse=nic-model:vmxnet3,disk-bus:pvscsi" import \
    "$CORPUS/vmware-vmx19-multi.ovf" --no-images
out_has 'adapted: db19: NIC nic0: model vmxnet3 is not accepted by the test backend; using virtio'
out_has 'adapted: db19: disk disk0: bus pvscsi is not accepted by the test backend; using scsi'
expect_raw 0 -c "test://$TMP/host2" dumpconfig db19
out_has 'model="virtio"'
out_lacks 'pvscsi'

# --- disk images: export with them (.ova: streamOptimized vmdk + SHA-256
# manifest), import converts them into --disk-dir; a damaged one defines nothing
mkdir "$TMP/img"
head -c 4194304 /dev/urandom >"$TMP/img/root.img"
cat >"$TMP/img.xml" <<XML
<vm xmlns="urn:vmhi:vm:1">
  <name>imgvm</name>
  <devices><disk id="root"><path>$TMP/img/root.img</path></disk></devices>
</vm>
XML
expect 0 define "$TMP/img.xml"
expect 0 export imgvm -o "$TMP/imgvm.ova"
expect 0 export imgvm -o "$TMP/imgvm.ovf"
CHECKS=$((CHECKS + 1))
grep -q 'ovf:capacity="4194304" ovf:capacityAllocationUnits="byte"' "$TMP/imgvm.ovf" ||
    fail "the .ovf does not give the image's capacity"
CHECKS=$((CHECKS + 1))
[ "$(tar tf "$TMP/imgvm.ova" | tr '\n' ' ')" = "imgvm.ovf imgvm.mf root.vmdk " ] ||
    fail "unexpected .ova members: $(tar tf "$TMP/imgvm.ova")"
expect 0 undefine imgvm
cp "$TMP/imgvm.ova" "$TMP/damaged.ova"
printf X | dd of="$TMP/damaged.ova" bs=1 seek=$(($(stat -c %s "$TMP/damaged.ova") - 2048)) \
    conv=notrunc status=none
expect 1 import "$TMP/damaged.ova" --disk-dir "$TMP/out"
err_has '"root.vmdk" does not match the package.s manifest'
expect 3 dumpconfig imgvm
expect 0 import "$TMP/imgvm.ova" --disk-dir "$TMP/out"
out_has "converted: imgvm: disk root: image \"root.vmdk\" (vmdk, streamOptimized) converted to qcow2"
expect 0 dumpconfig imgvm
out_has "<path>$TMP/out/root.qcow2</path>"
out_has 'format="qcow2"'
CHECKS=$((CHECKS + 1))
qemu-img compare -q -f raw -F qcow2 "$TMP/img/root.img" "$TMP/out/root.qcow2" ||
    fail "the imported image differs from the exported one"
# a define that fails after the images were converted removes them again
# (the package's UUID would redefine imgvm: a VM of that name and another
# UUID makes the define fail)
expect 0 undefine imgvm
expect 0 define "$TMP/img.xml"
expect 9 import "$TMP/imgvm.ova" --disk-dir "$TMP/out2"
err_has "cannot define VM 'imgvm'"
CHECKS=$((CHECKS + 1))
[ -e "$TMP/out2/root.qcow2" ] && fail "a failed import left its converted image"
CHECKS=$((CHECKS + 1))
[ -e "$TMP/out/root.qcow2" ] || fail "a failed import removed an image it did not write"
expect 0 undefine imgvm

# --- export --from: a description file, no VM and no connection needed
cat >"$TMP/fromfile.xml" <<XML
<vm xmlns="urn:vmhi:vm:1"><name>fromfile</name><vcpus max="2">1</vcpus><memory max="256">128</memory></vm>
XML
expect 0 export --from "$TMP/fromfile.xml" -o "$TMP/fromfile.ovf"
out_has "$TMP/fromfile.xml exported to $TMP/fromfile.ovf"
expect 0 import "$TMP/fromfile.ovf" --dry-run
out_has '<name>fromfile</name>'
expect 0 --json export --from "$TMP/fromfile.xml" -o "$TMP/fromfile2.ovf"
json_check 'd["action"] == "export" and d["name"] == "fromfile"'
expect 2 export --from "$TMP/fromfile.xml" -o "$TMP/x.ovf" --config
err_has '--config is for a VM'
expect 2 export -o "$TMP/x.ovf"
expect 8 export --from "$TMP/web13.ovf" -o "$TMP/x.ovf"
CHECKS=$((CHECKS + 1))
[ -e "$TMP/x.ovf" ] && fail "a failed export left $TMP/x.ovf"

# --- --network: the package's network names mapped to the target's
expect 0 import "$CORPUS/vmware-vmx19-multi.ovf" --dry-run --network Frontend=bridge:br-front \
    --network 'Backend=VM Network'
out_has "network 'Frontend' mapped to 'bridge:br-front'"
out_has "network 'Backend' mapped to 'VM Network'"
out_has '<network>bridge:br-front</network>'
out_has '<network>VM Network</network>'
out_lacks '<network>Frontend</network>'
expect 0 import "$CORPUS/collection.ovf" --dry-run --network default
out_has "web: NIC eth0: network 'app-net' mapped to 'default'"
out_has "db: NIC eth0: network 'app-net' mapped to 'default'"
out_lacks '<network>app-net</network>'
# a name no NIC is on fails before any image is touched, naming the
# networks there are; a bad target is bad input; nothing is defined
expect 1 import "$CORPUS/vmware-vmx19-multi.ovf" --network Nowhere=default
err_has "no NIC of the package is on network 'Nowhere'; its NICs are on 'Frontend', 'Backend'"
expect 8 import "$CORPUS/vmware-vmx19-multi.ovf" --no-images --network ''
err_has 'network name is empty'
expect 8 import "$CORPUS/vmware-vmx19-multi.ovf" --no-images --network =default
err_has 'the network to map from is empty'
expect 2 import "$CORPUS/vmware-vmx19-multi.ovf" --network
# --- --disk-bus, --nic-model: values the target accepts, changed as asked
expect 0 import "$CORPUS/ovf10-words.ovf" --dry-run
out_has 'bus="ide"'
expect 0 import "$CORPUS/ovf10-words.ovf" --dry-run --disk-bus ide=scsi --nic-model virtio
out_has 'bus ide mapped to scsi as asked'
out_has 'bus="scsi"'
out_lacks 'bus="ide"'
out_has 'mapped to virtio as asked'
out_has 'model="virtio"'
expect 0 import "$CORPUS/vmware-vmx19-multi.ovf" --dry-run --nic-model vmxnet3=rtl8139 \
    --disk-bus virtio
out_has 'model="rtl8139"'
out_has 'model="e1000"'
out_has 'bus pvscsi mapped to virtio as asked'
# no device with that value, an unknown name, a value mapped to itself:
# errors, nothing defined
expect 1 import "$CORPUS/vmware-vmx19-multi.ovf" --disk-bus ide=scsi
err_has 'no disk of the package has bus ide; its disks have pvscsi'
expect 8 import "$CORPUS/vmware-vmx19-multi.ovf" --no-images --disk-bus floppy
err_has 'import: --disk-bus: "floppy" is not a disk bus'
expect 8 import "$CORPUS/vmware-vmx19-multi.ovf" --no-images --nic-model e1000=e1000
err_has 'e1000 is mapped to itself'
expect 2 import "$CORPUS/vmware-vmx19-multi.ovf" --disk-bus
# --- strict, malformed and unsafe packages define nothing
expect 5 import "$CORPUS/vmware-vmx13.ovf" --strict
err_has 'strict import'
for bad in bad-xml xxe dangling-disk dangling-file dangling-parent dangling-network \
           overflow-memory overflow-units; do
    expect 8 import "$CORPUS/$bad.ovf"
    err_has 'line'
done
expect 5 import "$CORPUS/required-unknown.ovf"
err_has 'ovf:required="true"'
expect 0 -q list --all
CHECKS=$((CHECKS + 1))
[ "$(sort "$OUT" | tr '\n' ' ')" = "db devbox6 web web13 " ] || fail "unexpected VMs: $(cat "$OUT")"

finish
