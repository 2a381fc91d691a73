# Turns a text file into a C array: cmake -DINPUT= -DOUTPUT= -DSYMBOL= -P embed.cmake
file(READ "${INPUT}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
file(WRITE "${OUTPUT}"
  "/* Generated from ${INPUT}; do not edit. */\n#include <stddef.h>\n"
  "__attribute__((visibility(\"hidden\"))) const char ${SYMBOL}[] = {${body} 0x00};\n"
  "__attribute__((visibility(\"hidden\"))) const size_t ${SYMBOL}_len = sizeof(${SYMBOL}) - 1;\n")
