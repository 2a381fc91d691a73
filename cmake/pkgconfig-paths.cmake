# Paths for the relocatable vmhi.pc and vmhi-backend.pc: everything below
# the install prefix is written relative to ${prefix}, and ${prefix} relative
# to ${pcfiledir}, so an installed tree can be moved (or installed with
# cmake --install --prefix) and pkg-config still answers correctly.

# vmhi_pc_path(<out> <path>): ${prefix}/... when <path> lies under the prefix.
function(vmhi_pc_path out path)
  if(NOT IS_ABSOLUTE "${path}")
    set(${out} "\${prefix}/${path}" PARENT_SCOPE)
    return()
  endif()
  vmhi_path_below(rel "${CMAKE_INSTALL_PREFIX}" "${path}")
  if(NOT rel STREQUAL "NOTFOUND")
    set(${out} "\${prefix}/${rel}" PARENT_SCOPE)
  else()
    set(${out} "${path}" PARENT_SCOPE)
  endif()
endfunction()

file(RELATIVE_PATH VMHI_PC_PREFIX_FROM_PCDIR "${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig"
     "${CMAKE_INSTALL_PREFIX}")
string(REGEX REPLACE "/$" "" VMHI_PC_PREFIX_FROM_PCDIR "${VMHI_PC_PREFIX_FROM_PCDIR}")
if(VMHI_PC_PREFIX_FROM_PCDIR STREQUAL "")
  set(VMHI_PC_PREFIX_FROM_PCDIR ".")
endif()
vmhi_pc_path(VMHI_PC_LIBDIR "${CMAKE_INSTALL_FULL_LIBDIR}")
vmhi_pc_path(VMHI_PC_INCLUDEDIR "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
vmhi_pc_path(VMHI_PC_MODULEDIR "${VMHI_MODULE_DIR}")
