"""dataclasses' __init__ for each field shape sopc's classes have, kept
compiled in this module's bytecode cache instead of compiled at every start
(:func:`sopc.core.records._template`; a shape not here is compiled there).

Written by tools/write_record_inits.py: do not edit. tests/test_records.py
fails when a shape is missing or a function differs from what records.py
would compile.
"""

from __future__ import annotations  # as records.py, whose compile() inherits it

def _shape_0(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _set__f0, _set__f1):
 def __init__(self,_f0:_type__f0,_f1:_type__f1):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
 return __init__


def _shape_1(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _set__f0, _set__f1, _set__f2):
 def __init__(self,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
 return __init__


def _shape_2(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _set__f0, _set__f1, _set__f2, _set__f3):
 def __init__(self,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
 return __init__


def _shape_3(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _set__f0, _set__f1, _set__f2, _set__f3, _set__f4):
 def __init__(self,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
  _set__f4(self,_f4)
 return __init__


def _shape_4(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _set__f0, _set__f1, _set__f2, _set__f3, _set__f4, _set__f5):
 def __init__(self,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
  _set__f4(self,_f4)
  _set__f5(self,_f5)
 return __init__


def _shape_5(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _dflt__f3, _set__f0, _set__f1, _set__f2, _set__f3):
 def __init__(self,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3=_dflt__f3):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
 return __init__


def _shape_6(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3, _set__f0, _set__f1, _set__f2, _set__f3):
 def __init__(self,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2=_dflt__f2,_f3:_type__f3=_dflt__f3):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
 return __init__


def _shape_7(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3, _type__f4, _dflt__f4, _set__f0, _set__f1, _set__f2, _set__f3, _set__f4):
 def __init__(self,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2=_dflt__f2,_f3:_type__f3=_dflt__f3,_f4:_type__f4=_dflt__f4):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
  _set__f4(self,_f4)
 return __init__


def _shape_8(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _dflt__f1, _set__f0, _set__f1):
 def __init__(self,_f0:_type__f0,_f1:_type__f1=_dflt__f1):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
 return __init__


def _shape_9(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3, _type__f4, _dflt__f4, _type__f5, _dflt__f5, _set__f0, _set__f1, _set__f2, _set__f3, _set__f4, _set__f5):
 def __init__(self,_f0:_type__f0,_f1:_type__f1=_dflt__f1,_f2:_type__f2=_dflt__f2,_f3:_type__f3=_dflt__f3,_f4:_type__f4=_dflt__f4,_f5:_type__f5=_dflt__f5):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
  _set__f4(self,_f4)
  _set__f5(self,_f5)
 return __init__


def _shape_10(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3, _type__f4, _dflt__f4, _type__f5, _dflt__f5, _type__f6, _dflt__f6, _type__f7, _dflt__f7, _set__f0, _set__f1, _set__f2, _set__f3, _set__f4, _set__f5, _set__f6, _set__f7):
 def __init__(self,_f0:_type__f0,_f1:_type__f1=_dflt__f1,_f2:_type__f2=_dflt__f2,_f3:_type__f3=_dflt__f3,_f4:_type__f4=_dflt__f4,_f5:_type__f5=_dflt__f5,_f6:_type__f6=_dflt__f6,_f7:_type__f7=_dflt__f7):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
  _set__f4(self,_f4)
  _set__f5(self,_f5)
  _set__f6(self,_f6)
  _set__f7(self,_f7)
 return __init__


def _shape_11(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _set__f0):
 def __init__(self,_f0:_type__f0):
  _set__f0(self,_f0)
 return __init__


def _shape_12(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _dflt__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2, _set__f0, _set__f1, _set__f2):
 def __init__(self,_f0:_type__f0=_dflt__f0,_f1:_type__f1=_dflt__f1,_f2:_type__f2=_dflt__f2):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
 return __init__


def _shape_13(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _dflt__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3, _set__f0, _set__f1, _set__f2, _set__f3):
 def __init__(self,_f0:_type__f0=_dflt__f0,_f1:_type__f1=_dflt__f1,_f2:_type__f2=_dflt__f2,_f3:_type__f3=_dflt__f3):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
 return __init__


def _shape_14(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _dflt__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3, _type__f4, _dflt__f4, _set__f0, _set__f1, _set__f2, _set__f3, _set__f4):
 def __init__(self,_f0:_type__f0=_dflt__f0,_f1:_type__f1=_dflt__f1,_f2:_type__f2=_dflt__f2,_f3:_type__f3=_dflt__f3,_f4:_type__f4=_dflt__f4):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
  _set__f4(self,_f4)
 return __init__


def _shape_15(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _dflt__f0, _type__f1, _dflt__f1, _set__f0, _set__f1):
 def __init__(self,_f0:_type__f0=_HAS_DEFAULT_FACTORY,_f1:_type__f1=_HAS_DEFAULT_FACTORY):
  _set__f0(self,_dflt__f0() if _f0 is _HAS_DEFAULT_FACTORY else _f0)
  _set__f1(self,_dflt__f1() if _f1 is _HAS_DEFAULT_FACTORY else _f1)
 return __init__


def _shape_16(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _dflt__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2, _set__f0, _set__f1, _set__f2):
 def __init__(self,_f0:_type__f0=_HAS_DEFAULT_FACTORY,_f1:_type__f1=_HAS_DEFAULT_FACTORY,_f2:_type__f2=_HAS_DEFAULT_FACTORY):
  _set__f0(self,_dflt__f0() if _f0 is _HAS_DEFAULT_FACTORY else _f0)
  _set__f1(self,_dflt__f1() if _f1 is _HAS_DEFAULT_FACTORY else _f1)
  _set__f2(self,_dflt__f2() if _f2 is _HAS_DEFAULT_FACTORY else _f2)
 return __init__


def _shape_17(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _set__f0, _set__f1):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
 return __init__


def _shape_18(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _set__f0, _set__f1, _set__f2):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
 return __init__


def _shape_19(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _set__f0, _set__f1, _set__f2, _set__f3):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
 return __init__


def _shape_20(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _set__f0, _set__f1, _set__f2, _set__f3, _set__f4):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
  _set__f4(self,_f4)
 return __init__


def _shape_21(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _set__f0, _set__f1, _set__f2, _set__f3, _set__f4, _set__f5):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
  _set__f4(self,_f4)
  _set__f5(self,_f5)
 return __init__


def _shape_22(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _type__f6, _set__f0, _set__f1, _set__f2, _set__f3, _set__f4, _set__f5, _set__f6):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5,_f6:_type__f6):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
  _set__f4(self,_f4)
  _set__f5(self,_f5)
  _set__f6(self,_f6)
 return __init__


def _shape_23(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _type__f6, _type__f7, _type__f8, _type__f9, _type__f10, _type__f11, _type__f12, _type__f13, _type__f14, _type__f15, _type__f16, _type__f17, _dflt__f17, _type__f18, _dflt__f18, _type__f19, _dflt__f19, _type__f20, _dflt__f20, _type__f21, _dflt__f21, _type__f22, _dflt__f22, _set__f0, _set__f1, _set__f2, _set__f3, _set__f4, _set__f5, _set__f6, _set__f7, _set__f8, _set__f9, _set__f10, _set__f11, _set__f12, _set__f13, _set__f14, _set__f15, _set__f16, _set__f17, _set__f18, _set__f19, _set__f20, _set__f21, _set__f22):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5,_f6:_type__f6,_f7:_type__f7,_f8:_type__f8,_f9:_type__f9,_f10:_type__f10,_f11:_type__f11,_f12:_type__f12,_f13:_type__f13,_f14:_type__f14,_f15:_type__f15,_f16:_type__f16,_f17:_type__f17=_dflt__f17,_f18:_type__f18=_dflt__f18,_f19:_type__f19=_dflt__f19,_f20:_type__f20=_dflt__f20,_f21:_type__f21=_dflt__f21,_f22:_type__f22=_dflt__f22):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
  _set__f4(self,_f4)
  _set__f5(self,_f5)
  _set__f6(self,_f6)
  _set__f7(self,_f7)
  _set__f8(self,_f8)
  _set__f9(self,_f9)
  _set__f10(self,_f10)
  _set__f11(self,_f11)
  _set__f12(self,_f12)
  _set__f13(self,_f13)
  _set__f14(self,_f14)
  _set__f15(self,_f15)
  _set__f16(self,_f16)
  _set__f17(self,_f17)
  _set__f18(self,_f18)
  _set__f19(self,_f19)
  _set__f20(self,_f20)
  _set__f21(self,_f21)
  _set__f22(self,_f22)
 return __init__


def _shape_24(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _type__f6, _type__f7, _type__f8, _type__f9, _type__f10, _type__f11, _type__f12, _type__f13, _type__f14, _type__f15, _dflt__f15, _type__f16, _dflt__f16, _type__f17, _dflt__f17, _type__f18, _dflt__f18, _type__f19, _dflt__f19, _set__f0, _set__f1, _set__f2, _set__f3, _set__f4, _set__f5, _set__f6, _set__f7, _set__f8, _set__f9, _set__f10, _set__f11, _set__f12, _set__f13, _set__f14, _set__f15, _set__f16, _set__f17, _set__f18, _set__f19):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5,_f6:_type__f6,_f7:_type__f7,_f8:_type__f8,_f9:_type__f9,_f10:_type__f10,_f11:_type__f11,_f12:_type__f12,_f13:_type__f13,_f14:_type__f14,_f15:_type__f15=_dflt__f15,_f16:_type__f16=_dflt__f16,_f17:_type__f17=_dflt__f17,_f18:_type__f18=_dflt__f18,_f19:_type__f19=_dflt__f19):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
  _set__f4(self,_f4)
  _set__f5(self,_f5)
  _set__f6(self,_f6)
  _set__f7(self,_f7)
  _set__f8(self,_f8)
  _set__f9(self,_f9)
  _set__f10(self,_f10)
  _set__f11(self,_f11)
  _set__f12(self,_f12)
  _set__f13(self,_f13)
  _set__f14(self,_f14)
  _set__f15(self,_f15)
  _set__f16(self,_f16)
  _set__f17(self,_f17)
  _set__f18(self,_f18)
  _set__f19(self,_f19)
 return __init__


def _shape_25(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _type__f6, _type__f7, _type__f8, _type__f9, _type__f10, _type__f11, _type__f12, _dflt__f12, _set__f0, _set__f1, _set__f2, _set__f3, _set__f4, _set__f5, _set__f6, _set__f7, _set__f8, _set__f9, _set__f10, _set__f11, _set__f12):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5,_f6:_type__f6,_f7:_type__f7,_f8:_type__f8,_f9:_type__f9,_f10:_type__f10,_f11:_type__f11,_f12:_type__f12=_dflt__f12):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
  _set__f4(self,_f4)
  _set__f5(self,_f5)
  _set__f6(self,_f6)
  _set__f7(self,_f7)
  _set__f8(self,_f8)
  _set__f9(self,_f9)
  _set__f10(self,_f10)
  _set__f11(self,_f11)
  _set__f12(self,_f12)
 return __init__


def _shape_26(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _type__f6, _type__f7, _type__f8, _type__f9, _type__f10, _dflt__f10, _set__f0, _set__f1, _set__f2, _set__f3, _set__f4, _set__f5, _set__f6, _set__f7, _set__f8, _set__f9, _set__f10):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5,_f6:_type__f6,_f7:_type__f7,_f8:_type__f8,_f9:_type__f9,_f10:_type__f10=_dflt__f10):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
  _set__f4(self,_f4)
  _set__f5(self,_f5)
  _set__f6(self,_f6)
  _set__f7(self,_f7)
  _set__f8(self,_f8)
  _set__f9(self,_f9)
  _set__f10(self,_f10)
 return __init__


def _shape_27(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _type__f6, _type__f7, _type__f8, _type__f9, _type__f10, _dflt__f10, _type__f11, _dflt__f11, _set__f0, _set__f1, _set__f2, _set__f3, _set__f4, _set__f5, _set__f6, _set__f7, _set__f8, _set__f9, _set__f10, _set__f11):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5,_f6:_type__f6,_f7:_type__f7,_f8:_type__f8,_f9:_type__f9,_f10:_type__f10=_dflt__f10,_f11:_type__f11=_dflt__f11):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
  _set__f4(self,_f4)
  _set__f5(self,_f5)
  _set__f6(self,_f6)
  _set__f7(self,_f7)
  _set__f8(self,_f8)
  _set__f9(self,_f9)
  _set__f10(self,_f10)
  _set__f11(self,_f11)
 return __init__


def _shape_28(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _type__f6, _type__f7, _type__f8, _type__f9, _dflt__f9, _type__f10, _dflt__f10, _set__f0, _set__f1, _set__f2, _set__f3, _set__f4, _set__f5, _set__f6, _set__f7, _set__f8, _set__f9, _set__f10):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5,_f6:_type__f6,_f7:_type__f7,_f8:_type__f8,_f9:_type__f9=_dflt__f9,_f10:_type__f10=_dflt__f10):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
  _set__f4(self,_f4)
  _set__f5(self,_f5)
  _set__f6(self,_f6)
  _set__f7(self,_f7)
  _set__f8(self,_f8)
  _set__f9(self,_f9)
  _set__f10(self,_f10)
 return __init__


def _shape_29(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _type__f6, _type__f7, _type__f8, _type__f9, _dflt__f9, _type__f10, _dflt__f10, _type__f11, _dflt__f11, _type__f12, _dflt__f12, _type__f13, _dflt__f13, _set__f0, _set__f1, _set__f2, _set__f3, _set__f4, _set__f5, _set__f6, _set__f7, _set__f8, _set__f9, _set__f10, _set__f11, _set__f12, _set__f13):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5,_f6:_type__f6,_f7:_type__f7,_f8:_type__f8,_f9:_type__f9=_dflt__f9,_f10:_type__f10=_dflt__f10,_f11:_type__f11=_dflt__f11,_f12:_type__f12=_dflt__f12,_f13:_type__f13=_dflt__f13):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
  _set__f4(self,_f4)
  _set__f5(self,_f5)
  _set__f6(self,_f6)
  _set__f7(self,_f7)
  _set__f8(self,_f8)
  _set__f9(self,_f9)
  _set__f10(self,_f10)
  _set__f11(self,_f11)
  _set__f12(self,_f12)
  _set__f13(self,_f13)
 return __init__


def _shape_30(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _type__f6, _type__f7, _type__f8, _dflt__f8, _set__f0, _set__f1, _set__f2, _set__f3, _set__f4, _set__f5, _set__f6, _set__f7, _set__f8):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5,_f6:_type__f6,_f7:_type__f7,_f8:_type__f8=_dflt__f8):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
  _set__f4(self,_f4)
  _set__f5(self,_f5)
  _set__f6(self,_f6)
  _set__f7(self,_f7)
  _set__f8(self,_f8)
 return __init__


def _shape_31(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _type__f6, _type__f7, _dflt__f7, _type__f8, _dflt__f8, _type__f9, _dflt__f9, _type__f10, _dflt__f10, _type__f11, _dflt__f11, _type__f12, _dflt__f12, _type__f13, _dflt__f13, _type__f14, _dflt__f14, _type__f15, _dflt__f15, _type__f16, _dflt__f16, _type__f17, _dflt__f17, _type__f18, _dflt__f18, _type__f19, _dflt__f19, _type__f20, _dflt__f20, _set__f0, _set__f1, _set__f2, _set__f3, _set__f4, _set__f5, _set__f6, _set__f7, _set__f8, _set__f9, _set__f10, _set__f11, _set__f12, _set__f13, _set__f14, _set__f15, _set__f16, _set__f17, _set__f18, _set__f19, _set__f20):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5,_f6:_type__f6,_f7:_type__f7=_dflt__f7,_f8:_type__f8=_dflt__f8,_f9:_type__f9=_HAS_DEFAULT_FACTORY,_f10:_type__f10=_dflt__f10,_f11:_type__f11=_dflt__f11,_f12:_type__f12=_dflt__f12,_f13:_type__f13=_dflt__f13,_f14:_type__f14=_HAS_DEFAULT_FACTORY,_f15:_type__f15=_HAS_DEFAULT_FACTORY,_f16:_type__f16=_dflt__f16,_f17:_type__f17=_dflt__f17,_f18:_type__f18=_dflt__f18,_f19:_type__f19=_dflt__f19,_f20:_type__f20=_dflt__f20):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
  _set__f4(self,_f4)
  _set__f5(self,_f5)
  _set__f6(self,_f6)
  _set__f7(self,_f7)
  _set__f8(self,_f8)
  _set__f9(self,_dflt__f9() if _f9 is _HAS_DEFAULT_FACTORY else _f9)
  _set__f10(self,_f10)
  _set__f11(self,_f11)
  _set__f12(self,_f12)
  _set__f13(self,_f13)
  _set__f14(self,_dflt__f14() if _f14 is _HAS_DEFAULT_FACTORY else _f14)
  _set__f15(self,_dflt__f15() if _f15 is _HAS_DEFAULT_FACTORY else _f15)
  _set__f16(self,_f16)
  _set__f17(self,_f17)
  _set__f18(self,_f18)
  _set__f19(self,_f19)
  _set__f20(self,_f20)
 return __init__


def _shape_32(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _type__f6, _dflt__f6, _set__f0, _set__f1, _set__f2, _set__f3, _set__f4, _set__f5, _set__f6):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5,_f6:_type__f6=_dflt__f6):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
  _set__f4(self,_f4)
  _set__f5(self,_f5)
  _set__f6(self,_f6)
 return __init__


def _shape_33(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _type__f6, _dflt__f6, _type__f7, _dflt__f7, _set__f0, _set__f1, _set__f2, _set__f3, _set__f4, _set__f5, _set__f6, _set__f7):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5,_f6:_type__f6=_dflt__f6,_f7:_type__f7=_dflt__f7):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
  _set__f4(self,_f4)
  _set__f5(self,_f5)
  _set__f6(self,_f6)
  _set__f7(self,_f7)
 return __init__


def _shape_34(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _dflt__f5, _set__f0, _set__f1, _set__f2, _set__f3, _set__f4, _set__f5):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5=_dflt__f5):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
  _set__f4(self,_f4)
  _set__f5(self,_f5)
 return __init__


def _shape_35(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _dflt__f5, _type__f6, _dflt__f6, _type__f7, _dflt__f7, _set__f0, _set__f1, _set__f2, _set__f3, _set__f4, _set__f5, _set__f6, _set__f7):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5=_dflt__f5,_f6:_type__f6=_dflt__f6,_f7:_type__f7=_dflt__f7):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
  _set__f4(self,_f4)
  _set__f5(self,_f5)
  _set__f6(self,_f6)
  _set__f7(self,_f7)
 return __init__


def _shape_36(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _dflt__f4, _set__f0, _set__f1, _set__f2, _set__f3, _set__f4):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4=_dflt__f4):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
  _set__f4(self,_f4)
 return __init__


def _shape_37(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _dflt__f4, _type__f5, _dflt__f5, _type__f6, _dflt__f6, _set__f0, _set__f1, _set__f2, _set__f3, _set__f4, _set__f5, _set__f6):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4=_dflt__f4,_f5:_type__f5=_HAS_DEFAULT_FACTORY,_f6:_type__f6=_dflt__f6):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
  _set__f4(self,_f4)
  _set__f5(self,_dflt__f5() if _f5 is _HAS_DEFAULT_FACTORY else _f5)
  _set__f6(self,_f6)
 return __init__


def _shape_38(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _dflt__f3, _set__f0, _set__f1, _set__f2, _set__f3):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3=_dflt__f3):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
 return __init__


def _shape_39(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _dflt__f3, _type__f4, _dflt__f4, _set__f0, _set__f1, _set__f2, _set__f3, _set__f4):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3=_dflt__f3,_f4:_type__f4=_dflt__f4):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
  _set__f4(self,_f4)
 return __init__


def _shape_40(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _dflt__f2, _set__f0, _set__f1, _set__f2):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2=_dflt__f2):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
 return __init__


def _shape_41(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3, _type__f4, _dflt__f4, _type__f5, _dflt__f5, _type__f6, _dflt__f6, _set__f0, _set__f1, _set__f2, _set__f3, _set__f4, _set__f5, _set__f6):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2=_dflt__f2,_f3:_type__f3=_HAS_DEFAULT_FACTORY,_f4:_type__f4=_dflt__f4,_f5:_type__f5=_dflt__f5,_f6:_type__f6=_dflt__f6):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_dflt__f3() if _f3 is _HAS_DEFAULT_FACTORY else _f3)
  _set__f4(self,_f4)
  _set__f5(self,_f5)
  _set__f6(self,_f6)
 return __init__


def _shape_42(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _dflt__f2, _set__f0, _set__f1, _set__f2):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2=_HAS_DEFAULT_FACTORY):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_dflt__f2() if _f2 is _HAS_DEFAULT_FACTORY else _f2)
 return __init__


def _shape_43(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _dflt__f2, _type__f3, _type__f4, _dflt__f4, _set__f0, _set__f1, _set__f2, _set__f3, _set__f4):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2=_HAS_DEFAULT_FACTORY,_f3:_type__f3,_f4:_type__f4=_dflt__f4):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_dflt__f2() if _f2 is _HAS_DEFAULT_FACTORY else _f2)
  _set__f3(self,_f3)
  _set__f4(self,_f4)
 return __init__


def _shape_44(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2, _set__f0, _set__f1, _set__f2):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1=_dflt__f1,_f2:_type__f2=_dflt__f2):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
 return __init__


def _shape_45(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2, _type__f3, _set__f0, _set__f1, _set__f2, _set__f3):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1=_dflt__f1,_f2:_type__f2=_dflt__f2,_f3:_type__f3):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
 return __init__


def _shape_46(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3, _set__f0, _set__f1, _set__f2, _set__f3):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1=_dflt__f1,_f2:_type__f2=_dflt__f2,_f3:_type__f3=_dflt__f3):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
 return __init__


def _shape_47(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3, _type__f4, _dflt__f4, _type__f5, _dflt__f5, _type__f6, _dflt__f6, _type__f7, _dflt__f7, _type__f8, _dflt__f8, _set__f0, _set__f1, _set__f2, _set__f3, _set__f4, _set__f5, _set__f6, _set__f7, _set__f8):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1=_dflt__f1,_f2:_type__f2=_dflt__f2,_f3:_type__f3=_dflt__f3,_f4:_type__f4=_dflt__f4,_f5:_type__f5=_dflt__f5,_f6:_type__f6=_dflt__f6,_f7:_type__f7=_dflt__f7,_f8:_type__f8=_dflt__f8):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
  _set__f4(self,_f4)
  _set__f5(self,_f5)
  _set__f6(self,_f6)
  _set__f7(self,_f7)
  _set__f8(self,_f8)
 return __init__


def _shape_48(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3, _type__f4, _dflt__f4, _type__f5, _dflt__f5, _type__f6, _dflt__f6, _type__f7, _dflt__f7, _type__f8, _dflt__f8, _type__f9, _set__f0, _set__f1, _set__f2, _set__f3, _set__f4, _set__f5, _set__f6, _set__f7, _set__f8, _set__f9):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1=_dflt__f1,_f2:_type__f2=_dflt__f2,_f3:_type__f3=_HAS_DEFAULT_FACTORY,_f4:_type__f4=_dflt__f4,_f5:_type__f5=_dflt__f5,_f6:_type__f6=_dflt__f6,_f7:_type__f7=_dflt__f7,_f8:_type__f8=_dflt__f8,_f9:_type__f9):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_dflt__f3() if _f3 is _HAS_DEFAULT_FACTORY else _f3)
  _set__f4(self,_f4)
  _set__f5(self,_f5)
  _set__f6(self,_f6)
  _set__f7(self,_f7)
  _set__f8(self,_f8)
  _set__f9(self,_f9)
 return __init__


def _shape_49(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _set__f0):
 def __init__(self,*,_f0:_type__f0):
  _set__f0(self,_f0)
 return __init__


def _shape_50(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _dflt__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3, _set__f0, _set__f1, _set__f2, _set__f3):
 def __init__(self,*,_f0:_type__f0=_dflt__f0,_f1:_type__f1=_dflt__f1,_f2:_type__f2=_dflt__f2,_f3:_type__f3=_dflt__f3):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
 return __init__


def _shape_51(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _dflt__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3, _type__f4, _dflt__f4, _set__f0, _set__f1, _set__f2, _set__f3, _set__f4):
 def __init__(self,*,_f0:_type__f0=_dflt__f0,_f1:_type__f1=_dflt__f1,_f2:_type__f2=_dflt__f2,_f3:_type__f3=_dflt__f3,_f4:_type__f4=_dflt__f4):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
  _set__f4(self,_f4)
 return __init__


def _shape_52(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _dflt__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3, _type__f4, _dflt__f4, _type__f5, _dflt__f5, _type__f6, _dflt__f6, _set__f0, _set__f1, _set__f2, _set__f3, _set__f4, _set__f5, _set__f6):
 def __init__(self,*,_f0:_type__f0=_dflt__f0,_f1:_type__f1=_dflt__f1,_f2:_type__f2=_dflt__f2,_f3:_type__f3=_dflt__f3,_f4:_type__f4=_dflt__f4,_f5:_type__f5=_dflt__f5,_f6:_type__f6=_dflt__f6):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
  _set__f4(self,_f4)
  _set__f5(self,_f5)
  _set__f6(self,_f6)
 return __init__


def _shape_53(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _dflt__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3, _type__f4, _dflt__f4, _type__f5, _dflt__f5, _type__f6, _dflt__f6, _type__f7, _dflt__f7, _type__f8, _dflt__f8, _set__f0, _set__f1, _set__f2, _set__f3, _set__f4, _set__f5, _set__f6, _set__f7, _set__f8):
 def __init__(self,*,_f0:_type__f0=_dflt__f0,_f1:_type__f1=_dflt__f1,_f2:_type__f2=_dflt__f2,_f3:_type__f3=_dflt__f3,_f4:_type__f4=_dflt__f4,_f5:_type__f5=_dflt__f5,_f6:_type__f6=_dflt__f6,_f7:_type__f7=_dflt__f7,_f8:_type__f8=_dflt__f8):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
  _set__f4(self,_f4)
  _set__f5(self,_f5)
  _set__f6(self,_f6)
  _set__f7(self,_f7)
  _set__f8(self,_f8)
 return __init__


def _shape_54(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _dflt__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3, _type__f4, _dflt__f4, _type__f5, _dflt__f5, _type__f6, _dflt__f6, _type__f7, _dflt__f7, _type__f8, _dflt__f8, _set__f0, _set__f1, _set__f2, _set__f3, _set__f4, _set__f5, _set__f6, _set__f7, _set__f8):
 def __init__(self,*,_f0:_type__f0=_dflt__f0,_f1:_type__f1=_dflt__f1,_f2:_type__f2=_dflt__f2,_f3:_type__f3=_dflt__f3,_f4:_type__f4=_dflt__f4,_f5:_type__f5=_dflt__f5,_f6:_type__f6=_dflt__f6,_f7:_type__f7=_HAS_DEFAULT_FACTORY,_f8:_type__f8=_HAS_DEFAULT_FACTORY):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
  _set__f4(self,_f4)
  _set__f5(self,_f5)
  _set__f6(self,_f6)
  _set__f7(self,_dflt__f7() if _f7 is _HAS_DEFAULT_FACTORY else _f7)
  _set__f8(self,_dflt__f8() if _f8 is _HAS_DEFAULT_FACTORY else _f8)
 return __init__


def _shape_55(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _dflt__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3, _type__f4, _dflt__f4, _type__f5, _dflt__f5, _set__f0, _set__f1, _set__f2, _set__f3, _set__f4, _set__f5):
 def __init__(self,*,_f0:_type__f0=_dflt__f0,_f1:_type__f1=_dflt__f1,_f2:_type__f2=_dflt__f2,_f3:_type__f3=_dflt__f3,_f4:_type__f4=_dflt__f4,_f5:_type__f5=_HAS_DEFAULT_FACTORY):
  _set__f0(self,_f0)
  _set__f1(self,_f1)
  _set__f2(self,_f2)
  _set__f3(self,_f3)
  _set__f4(self,_f4)
  _set__f5(self,_dflt__f5() if _f5 is _HAS_DEFAULT_FACTORY else _f5)
 return __init__


def _shape_56(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2):
 def __init__(self,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2):
  self._f0=_f0
  self._f1=_f1
  self._f2=_f2
 return __init__


def _shape_57(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5):
 def __init__(self,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5):
  self._f0=_f0
  self._f1=_f1
  self._f2=_f2
  self._f3=_f3
  self._f4=_f4
  self._f5=_f5
 return __init__


def _shape_58(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _type__f6, _type__f7):
 def __init__(self,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5,_f6:_type__f6,_f7:_type__f7):
  self._f0=_f0
  self._f1=_f1
  self._f2=_f2
  self._f3=_f3
  self._f4=_f4
  self._f5=_f5
  self._f6=_f6
  self._f7=_f7
 return __init__


def _shape_59(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _dflt__f4, _type__f5, _dflt__f5, _type__f6, _dflt__f6):
 def __init__(self,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4=_dflt__f4,_f5:_type__f5=_dflt__f5,_f6:_type__f6=_dflt__f6):
  self._f0=_f0
  self._f1=_f1
  self._f2=_f2
  self._f3=_f3
  self._f4=_f4
  self._f5=_f5
  self._f6=_f6
 return __init__


def _shape_60(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _dflt__f4, _type__f5, _dflt__f5, _type__f6, _dflt__f6, _type__f7, _dflt__f7, _type__f8, _dflt__f8):
 def __init__(self,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4=_HAS_DEFAULT_FACTORY,_f5:_type__f5=_HAS_DEFAULT_FACTORY,_f6:_type__f6=_HAS_DEFAULT_FACTORY,_f7:_type__f7=_HAS_DEFAULT_FACTORY,_f8:_type__f8=_HAS_DEFAULT_FACTORY):
  self._f0=_f0
  self._f1=_f1
  self._f2=_f2
  self._f3=_f3
  self._f4=_dflt__f4() if _f4 is _HAS_DEFAULT_FACTORY else _f4
  self._f5=_dflt__f5() if _f5 is _HAS_DEFAULT_FACTORY else _f5
  self._f6=_dflt__f6() if _f6 is _HAS_DEFAULT_FACTORY else _f6
  self._f7=_dflt__f7() if _f7 is _HAS_DEFAULT_FACTORY else _f7
  self._f8=_dflt__f8() if _f8 is _HAS_DEFAULT_FACTORY else _f8
 return __init__


def _shape_61(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _dflt__f3, _type__f4, _dflt__f4):
 def __init__(self,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3=_HAS_DEFAULT_FACTORY,_f4:_type__f4=_dflt__f4):
  self._f0=_f0
  self._f1=_f1
  self._f2=_f2
  self._f3=_dflt__f3() if _f3 is _HAS_DEFAULT_FACTORY else _f3
  self._f4=_f4
 return __init__


def _shape_62(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3, _type__f4, _dflt__f4):
 def __init__(self,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2=_dflt__f2,_f3:_type__f3=_HAS_DEFAULT_FACTORY,_f4:_type__f4=_dflt__f4):
  self._f0=_f0
  self._f1=_f1
  self._f2=_f2
  self._f3=_dflt__f3() if _f3 is _HAS_DEFAULT_FACTORY else _f3
  self._f4=_f4
 return __init__


def _shape_63(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3, _type__f4, _dflt__f4, _type__f5, _dflt__f5, _type__f6, _dflt__f6, _type__f7, _dflt__f7):
 def __init__(self,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2=_HAS_DEFAULT_FACTORY,_f3:_type__f3=_HAS_DEFAULT_FACTORY,_f4:_type__f4=_dflt__f4,_f5:_type__f5=_HAS_DEFAULT_FACTORY,_f6:_type__f6=_dflt__f6,_f7:_type__f7=_HAS_DEFAULT_FACTORY):
  self._f0=_f0
  self._f1=_f1
  self._f2=_dflt__f2() if _f2 is _HAS_DEFAULT_FACTORY else _f2
  self._f3=_dflt__f3() if _f3 is _HAS_DEFAULT_FACTORY else _f3
  self._f4=_f4
  self._f5=_dflt__f5() if _f5 is _HAS_DEFAULT_FACTORY else _f5
  self._f6=_f6
  self._f7=_dflt__f7() if _f7 is _HAS_DEFAULT_FACTORY else _f7
 return __init__


def _shape_64(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _dflt__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3, _type__f4, _dflt__f4, _type__f5, _dflt__f5, _type__f6, _dflt__f6, _type__f7, _dflt__f7):
 def __init__(self,_f0:_type__f0=_dflt__f0,_f1:_type__f1=_dflt__f1,_f2:_type__f2=_HAS_DEFAULT_FACTORY,_f3:_type__f3=_dflt__f3,_f4:_type__f4=_HAS_DEFAULT_FACTORY,_f5:_type__f5=_dflt__f5,_f6:_type__f6=_dflt__f6,_f7:_type__f7=_HAS_DEFAULT_FACTORY):
  self._f0=_f0
  self._f1=_f1
  self._f2=_dflt__f2() if _f2 is _HAS_DEFAULT_FACTORY else _f2
  self._f3=_f3
  self._f4=_dflt__f4() if _f4 is _HAS_DEFAULT_FACTORY else _f4
  self._f5=_f5
  self._f6=_f6
  self._f7=_dflt__f7() if _f7 is _HAS_DEFAULT_FACTORY else _f7
 return __init__


def _shape_65(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _dflt__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3):
 def __init__(self,_f0:_type__f0=_HAS_DEFAULT_FACTORY,_f1:_type__f1=_HAS_DEFAULT_FACTORY,_f2:_type__f2=_dflt__f2,_f3:_type__f3=_dflt__f3):
  self._f0=_dflt__f0() if _f0 is _HAS_DEFAULT_FACTORY else _f0
  self._f1=_dflt__f1() if _f1 is _HAS_DEFAULT_FACTORY else _f1
  self._f2=_f2
  self._f3=_f3
 return __init__


def _shape_66(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1):
  self._f0=_f0
  self._f1=_f1
 return __init__


def _shape_67(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4):
  self._f0=_f0
  self._f1=_f1
  self._f2=_f2
  self._f3=_f3
  self._f4=_f4
 return __init__


def _shape_68(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _type__f6, _type__f7, _type__f8, _type__f9, _type__f10, _type__f11, _dflt__f11, _type__f12, _dflt__f12, _type__f13, _dflt__f13):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5,_f6:_type__f6,_f7:_type__f7,_f8:_type__f8,_f9:_type__f9,_f10:_type__f10,_f11:_type__f11=_dflt__f11,_f12:_type__f12=_HAS_DEFAULT_FACTORY,_f13:_type__f13=_dflt__f13):
  self._f0=_f0
  self._f1=_f1
  self._f2=_f2
  self._f3=_f3
  self._f4=_f4
  self._f5=_f5
  self._f6=_f6
  self._f7=_f7
  self._f8=_f8
  self._f9=_f9
  self._f10=_f10
  self._f11=_f11
  self._f12=_dflt__f12() if _f12 is _HAS_DEFAULT_FACTORY else _f12
  self._f13=_f13
 return __init__


def _shape_69(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _type__f6, _dflt__f6):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5,_f6:_type__f6=_HAS_DEFAULT_FACTORY):
  self._f0=_f0
  self._f1=_f1
  self._f2=_f2
  self._f3=_f3
  self._f4=_f4
  self._f5=_f5
  self._f6=_dflt__f6() if _f6 is _HAS_DEFAULT_FACTORY else _f6
 return __init__


def _shape_70(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _dflt__f5, _type__f6, _dflt__f6, _type__f7, _dflt__f7, _type__f8, _dflt__f8):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5=_dflt__f5,_f6:_type__f6=_dflt__f6,_f7:_type__f7=_dflt__f7,_f8:_type__f8=_HAS_DEFAULT_FACTORY):
  self._f0=_f0
  self._f1=_f1
  self._f2=_f2
  self._f3=_f3
  self._f4=_f4
  self._f5=_f5
  self._f6=_f6
  self._f7=_f7
  self._f8=_dflt__f8() if _f8 is _HAS_DEFAULT_FACTORY else _f8
 return __init__


def _shape_71(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1):
 def __init__(self,_f0:_type__f0,_f1:_type__f1):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
 return __init__


def _shape_72(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2):
 def __init__(self,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
 return __init__


def _shape_73(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _dflt__f4, _type__f5, _dflt__f5):
 def __init__(self,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4=_dflt__f4,_f5:_type__f5=_dflt__f5):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
  __dataclass_builtins_object__.__setattr__(self,'_f4',_f4)
  __dataclass_builtins_object__.__setattr__(self,'_f5',_f5)
 return __init__


def _shape_74(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0):
 def __init__(self,_f0:_type__f0):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
 return __init__


SHAPES = {
    ('slots', 'self', ((False, ''), (False, ''))): _shape_0,
    ('slots', 'self', ((False, ''), (False, ''), (False, ''))): _shape_1,
    ('slots', 'self', ((False, ''), (False, ''), (False, ''), (False, ''))): _shape_2,
    ('slots', 'self', ((False, ''), (False, ''), (False, ''), (False, ''), (False, ''))): _shape_3,
    ('slots', 'self', ((False, ''), (False, ''), (False, ''), (False, ''), (False, ''), (False, ''))): _shape_4,
    ('slots', 'self', ((False, ''), (False, ''), (False, ''), (False, 'default'))): _shape_5,
    ('slots', 'self', ((False, ''), (False, ''), (False, 'default'), (False, 'default'))): _shape_6,
    ('slots', 'self', ((False, ''), (False, ''), (False, 'default'), (False, 'default'), (False, 'default'))): _shape_7,
    ('slots', 'self', ((False, ''), (False, 'default'))): _shape_8,
    ('slots', 'self', ((False, ''), (False, 'default'), (False, 'default'), (False, 'default'), (False, 'default'), (False, 'default'))): _shape_9,
    ('slots', 'self', ((False, ''), (False, 'default'), (False, 'default'), (False, 'default'), (False, 'default'), (False, 'default'), (False, 'default'), (False, 'default'))): _shape_10,
    ('slots', 'self', ((False, ''),)): _shape_11,
    ('slots', 'self', ((False, 'default'), (False, 'default'), (False, 'default'))): _shape_12,
    ('slots', 'self', ((False, 'default'), (False, 'default'), (False, 'default'), (False, 'default'))): _shape_13,
    ('slots', 'self', ((False, 'default'), (False, 'default'), (False, 'default'), (False, 'default'), (False, 'default'))): _shape_14,
    ('slots', 'self', ((False, 'factory'), (False, 'factory'))): _shape_15,
    ('slots', 'self', ((False, 'factory'), (False, 'factory'), (False, 'factory'))): _shape_16,
    ('slots', 'self', ((True, ''), (True, ''))): _shape_17,
    ('slots', 'self', ((True, ''), (True, ''), (True, ''))): _shape_18,
    ('slots', 'self', ((True, ''), (True, ''), (True, ''), (True, ''))): _shape_19,
    ('slots', 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''))): _shape_20,
    ('slots', 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''))): _shape_21,
    ('slots', 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''))): _shape_22,
    ('slots', 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'))): _shape_23,
    ('slots', 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'))): _shape_24,
    ('slots', 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, 'default'))): _shape_25,
    ('slots', 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, 'default'))): _shape_26,
    ('slots', 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, 'default'), (True, 'default'))): _shape_27,
    ('slots', 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, 'default'), (True, 'default'))): _shape_28,
    ('slots', 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'))): _shape_29,
    ('slots', 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, 'default'))): _shape_30,
    ('slots', 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, 'default'), (True, 'default'), (True, 'factory'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'factory'), (True, 'factory'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'))): _shape_31,
    ('slots', 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, 'default'))): _shape_32,
    ('slots', 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, 'default'), (True, 'default'))): _shape_33,
    ('slots', 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, 'default'))): _shape_34,
    ('slots', 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, 'default'), (True, 'default'), (True, 'default'))): _shape_35,
    ('slots', 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, 'default'))): _shape_36,
    ('slots', 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, 'default'), (True, 'factory'), (True, 'default'))): _shape_37,
    ('slots', 'self', ((True, ''), (True, ''), (True, ''), (True, 'default'))): _shape_38,
    ('slots', 'self', ((True, ''), (True, ''), (True, ''), (True, 'default'), (True, 'default'))): _shape_39,
    ('slots', 'self', ((True, ''), (True, ''), (True, 'default'))): _shape_40,
    ('slots', 'self', ((True, ''), (True, ''), (True, 'default'), (True, 'factory'), (True, 'default'), (True, 'default'), (True, 'default'))): _shape_41,
    ('slots', 'self', ((True, ''), (True, ''), (True, 'factory'))): _shape_42,
    ('slots', 'self', ((True, ''), (True, ''), (True, 'factory'), (True, ''), (True, 'default'))): _shape_43,
    ('slots', 'self', ((True, ''), (True, 'default'), (True, 'default'))): _shape_44,
    ('slots', 'self', ((True, ''), (True, 'default'), (True, 'default'), (True, ''))): _shape_45,
    ('slots', 'self', ((True, ''), (True, 'default'), (True, 'default'), (True, 'default'))): _shape_46,
    ('slots', 'self', ((True, ''), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'))): _shape_47,
    ('slots', 'self', ((True, ''), (True, 'default'), (True, 'default'), (True, 'factory'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, ''))): _shape_48,
    ('slots', 'self', ((True, ''),)): _shape_49,
    ('slots', 'self', ((True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'))): _shape_50,
    ('slots', 'self', ((True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'))): _shape_51,
    ('slots', 'self', ((True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'))): _shape_52,
    ('slots', 'self', ((True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'))): _shape_53,
    ('slots', 'self', ((True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'factory'), (True, 'factory'))): _shape_54,
    ('slots', 'self', ((True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'factory'))): _shape_55,
    (False, 'self', ((False, ''), (False, ''), (False, ''))): _shape_56,
    (False, 'self', ((False, ''), (False, ''), (False, ''), (False, ''), (False, ''), (False, ''))): _shape_57,
    (False, 'self', ((False, ''), (False, ''), (False, ''), (False, ''), (False, ''), (False, ''), (False, ''), (False, ''))): _shape_58,
    (False, 'self', ((False, ''), (False, ''), (False, ''), (False, ''), (False, 'default'), (False, 'default'), (False, 'default'))): _shape_59,
    (False, 'self', ((False, ''), (False, ''), (False, ''), (False, ''), (False, 'factory'), (False, 'factory'), (False, 'factory'), (False, 'factory'), (False, 'factory'))): _shape_60,
    (False, 'self', ((False, ''), (False, ''), (False, ''), (False, 'factory'), (False, 'default'))): _shape_61,
    (False, 'self', ((False, ''), (False, ''), (False, 'default'), (False, 'factory'), (False, 'default'))): _shape_62,
    (False, 'self', ((False, ''), (False, ''), (False, 'factory'), (False, 'factory'), (False, 'default'), (False, 'factory'), (False, 'default'), (False, 'factory'))): _shape_63,
    (False, 'self', ((False, 'default'), (False, 'default'), (False, 'factory'), (False, 'default'), (False, 'factory'), (False, 'default'), (False, 'default'), (False, 'factory'))): _shape_64,
    (False, 'self', ((False, 'factory'), (False, 'factory'), (False, 'default'), (False, 'default'))): _shape_65,
    (False, 'self', ((True, ''), (True, ''))): _shape_66,
    (False, 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''))): _shape_67,
    (False, 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, 'default'), (True, 'factory'), (True, 'default'))): _shape_68,
    (False, 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, 'factory'))): _shape_69,
    (False, 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'factory'))): _shape_70,
    (True, 'self', ((False, ''), (False, ''))): _shape_71,
    (True, 'self', ((False, ''), (False, ''), (False, ''))): _shape_72,
    (True, 'self', ((False, ''), (False, ''), (False, ''), (False, ''), (False, 'default'), (False, 'default'))): _shape_73,
    (True, 'self', ((False, ''),)): _shape_74,
}
