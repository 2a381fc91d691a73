# vmhi_path_below(<out> <base> <path>): <path> relative to <base> when it
# lies at or below <base> ("" when they are equal), else the word NOTFOUND.
function(vmhi_path_below out base path)
  file(RELATIVE_PATH rel "${base}" "${path}")
  if(rel MATCHES "^\\.\\./" OR rel STREQUAL ".." OR IS_ABSOLUTE "${rel}")
    set(${out} NOTFOUND PARENT_SCOPE)
  else()
    set(${out} "${rel}" PARENT_SCOPE)
  endif()
endfunction()
