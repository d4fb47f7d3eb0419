"""Searches subjects with Oniguruma's Ruby syntax (the engine family of Logstash's JRuby), through libonig's C API.

stdin: {"patterns": [str], "subjects": [str]}; stdout: {"version": str, "matches": [[bool per subject] per pattern]}.
A pattern that does not compile is an error (exit 1) naming it. Used by test/support/oniguruma.ts.
"""
import ctypes
import ctypes.util
import json
import sys

lib = ctypes.CDLL(ctypes.util.find_library('onig') or 'libonig.so.5')
UTF8 = ctypes.addressof(ctypes.c_char.in_dll(lib, 'OnigEncodingUTF8'))
RUBY = ctypes.addressof(ctypes.c_char.in_dll(lib, 'OnigSyntaxRuby'))
lib.onig_initialize((ctypes.c_void_p * 1)(UTF8), 1)
lib.onig_version.restype = ctypes.c_char_p
lib.onig_new.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
lib.onig_search.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint]
lib.onig_search.restype = ctypes.c_int
lib.onig_error_code_to_str.restype = ctypes.c_int
ONIG_OPTION_NONE = 0


def buffer(text):
    data = text.encode('utf-8')
    buf = ctypes.create_string_buffer(data, len(data) + 1)
    start = ctypes.addressof(buf)
    return buf, start, start + len(data)


def compile_pattern(pattern):
    reg = ctypes.c_void_p()
    info = ctypes.create_string_buffer(256)
    keep, start, end = buffer(pattern)
    code = lib.onig_new(ctypes.byref(reg), start, end, ONIG_OPTION_NONE, UTF8, RUBY, info)
    if code != 0:
        message = ctypes.create_string_buffer(256)
        lib.onig_error_code_to_str(message, code, info)
        sys.exit('Oniguruma cannot compile %r: %s' % (pattern, message.value.decode()))
    return reg


def search(reg, subject):
    keep, start, end = buffer(subject)
    return lib.onig_search(reg, start, end, start, end, None, ONIG_OPTION_NONE) >= 0


request = json.load(sys.stdin)
regs = [compile_pattern(p) for p in request['patterns']]
json.dump({'version': lib.onig_version().decode(), 'matches': [[search(r, s) for s in request['subjects']] for r in regs]}, sys.stdout)
