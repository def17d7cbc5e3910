"""dataclasses' __init__ for each field shape sopc's classes have, kept
compiled in this module's bytecode cache instead of compiled at every start
(:func:`sopc.core.records._template`; a shape not here is compiled there).

Written by tools/write_record_inits.py: do not edit. tests/test_records.py
fails when a shape is missing or a function differs from what records.py
would compile.
"""

from __future__ import annotations  # as records.py, whose compile() inherits it

def _shape_0(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2):
 def __init__(self,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2):
  self._f0=_f0
  self._f1=_f1
  self._f2=_f2
 return __init__


def _shape_1(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5):
 def __init__(self,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5):
  self._f0=_f0
  self._f1=_f1
  self._f2=_f2
  self._f3=_f3
  self._f4=_f4
  self._f5=_f5
 return __init__


def _shape_2(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _type__f6, _type__f7):
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


def _shape_3(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _dflt__f4, _type__f5, _dflt__f5, _type__f6, _dflt__f6):
 def __init__(self,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4=_dflt__f4,_f5:_type__f5=_dflt__f5,_f6:_type__f6=_dflt__f6):
  self._f0=_f0
  self._f1=_f1
  self._f2=_f2
  self._f3=_f3
  self._f4=_f4
  self._f5=_f5
  self._f6=_f6
 return __init__


def _shape_4(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _dflt__f4, _type__f5, _dflt__f5, _type__f6, _dflt__f6, _type__f7, _dflt__f7, _type__f8, _dflt__f8):
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


def _shape_5(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _dflt__f3, _type__f4, _dflt__f4):
 def __init__(self,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3=_HAS_DEFAULT_FACTORY,_f4:_type__f4=_dflt__f4):
  self._f0=_f0
  self._f1=_f1
  self._f2=_f2
  self._f3=_dflt__f3() if _f3 is _HAS_DEFAULT_FACTORY else _f3
  self._f4=_f4
 return __init__


def _shape_6(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3, _type__f4, _dflt__f4):
 def __init__(self,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2=_dflt__f2,_f3:_type__f3=_HAS_DEFAULT_FACTORY,_f4:_type__f4=_dflt__f4):
  self._f0=_f0
  self._f1=_f1
  self._f2=_f2
  self._f3=_dflt__f3() if _f3 is _HAS_DEFAULT_FACTORY else _f3
  self._f4=_f4
 return __init__


def _shape_7(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3, _type__f4, _dflt__f4, _type__f5, _dflt__f5, _type__f6, _dflt__f6, _type__f7, _dflt__f7):
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


def _shape_8(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _dflt__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3, _type__f4, _dflt__f4, _type__f5, _dflt__f5, _type__f6, _dflt__f6, _type__f7, _dflt__f7):
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


def _shape_9(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _dflt__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3):
 def __init__(self,_f0:_type__f0=_HAS_DEFAULT_FACTORY,_f1:_type__f1=_HAS_DEFAULT_FACTORY,_f2:_type__f2=_dflt__f2,_f3:_type__f3=_dflt__f3):
  self._f0=_dflt__f0() if _f0 is _HAS_DEFAULT_FACTORY else _f0
  self._f1=_dflt__f1() if _f1 is _HAS_DEFAULT_FACTORY else _f1
  self._f2=_f2
  self._f3=_f3
 return __init__


def _shape_10(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1):
  self._f0=_f0
  self._f1=_f1
 return __init__


def _shape_11(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4):
  self._f0=_f0
  self._f1=_f1
  self._f2=_f2
  self._f3=_f3
  self._f4=_f4
 return __init__


def _shape_12(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _type__f6, _type__f7, _type__f8, _type__f9, _type__f10, _type__f11, _dflt__f11, _type__f12, _dflt__f12, _type__f13, _dflt__f13):
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


def _shape_13(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _type__f6, _dflt__f6):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5,_f6:_type__f6=_HAS_DEFAULT_FACTORY):
  self._f0=_f0
  self._f1=_f1
  self._f2=_f2
  self._f3=_f3
  self._f4=_f4
  self._f5=_f5
  self._f6=_dflt__f6() if _f6 is _HAS_DEFAULT_FACTORY else _f6
 return __init__


def _shape_14(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _dflt__f5, _type__f6, _dflt__f6, _type__f7, _dflt__f7, _type__f8, _dflt__f8):
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


def _shape_15(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1):
 def __init__(self,_f0:_type__f0,_f1:_type__f1):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
 return __init__


def _shape_16(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2):
 def __init__(self,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
 return __init__


def _shape_17(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3):
 def __init__(self,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
 return __init__


def _shape_18(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4):
 def __init__(self,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
  __dataclass_builtins_object__.__setattr__(self,'_f4',_f4)
 return __init__


def _shape_19(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5):
 def __init__(self,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
  __dataclass_builtins_object__.__setattr__(self,'_f4',_f4)
  __dataclass_builtins_object__.__setattr__(self,'_f5',_f5)
 return __init__


def _shape_20(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _dflt__f4, _type__f5, _dflt__f5):
 def __init__(self,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4=_dflt__f4,_f5:_type__f5=_dflt__f5):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
  __dataclass_builtins_object__.__setattr__(self,'_f4',_f4)
  __dataclass_builtins_object__.__setattr__(self,'_f5',_f5)
 return __init__


def _shape_21(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _dflt__f3):
 def __init__(self,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3=_dflt__f3):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
 return __init__


def _shape_22(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3):
 def __init__(self,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2=_dflt__f2,_f3:_type__f3=_dflt__f3):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
 return __init__


def _shape_23(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3, _type__f4, _dflt__f4):
 def __init__(self,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2=_dflt__f2,_f3:_type__f3=_dflt__f3,_f4:_type__f4=_dflt__f4):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
  __dataclass_builtins_object__.__setattr__(self,'_f4',_f4)
 return __init__


def _shape_24(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _dflt__f1):
 def __init__(self,_f0:_type__f0,_f1:_type__f1=_dflt__f1):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
 return __init__


def _shape_25(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3, _type__f4, _dflt__f4, _type__f5, _dflt__f5):
 def __init__(self,_f0:_type__f0,_f1:_type__f1=_dflt__f1,_f2:_type__f2=_dflt__f2,_f3:_type__f3=_dflt__f3,_f4:_type__f4=_dflt__f4,_f5:_type__f5=_dflt__f5):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
  __dataclass_builtins_object__.__setattr__(self,'_f4',_f4)
  __dataclass_builtins_object__.__setattr__(self,'_f5',_f5)
 return __init__


def _shape_26(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3, _type__f4, _dflt__f4, _type__f5, _dflt__f5, _type__f6, _dflt__f6, _type__f7, _dflt__f7):
 def __init__(self,_f0:_type__f0,_f1:_type__f1=_dflt__f1,_f2:_type__f2=_dflt__f2,_f3:_type__f3=_dflt__f3,_f4:_type__f4=_dflt__f4,_f5:_type__f5=_dflt__f5,_f6:_type__f6=_dflt__f6,_f7:_type__f7=_dflt__f7):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
  __dataclass_builtins_object__.__setattr__(self,'_f4',_f4)
  __dataclass_builtins_object__.__setattr__(self,'_f5',_f5)
  __dataclass_builtins_object__.__setattr__(self,'_f6',_f6)
  __dataclass_builtins_object__.__setattr__(self,'_f7',_f7)
 return __init__


def _shape_27(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0):
 def __init__(self,_f0:_type__f0):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
 return __init__


def _shape_28(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _dflt__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2):
 def __init__(self,_f0:_type__f0=_dflt__f0,_f1:_type__f1=_dflt__f1,_f2:_type__f2=_dflt__f2):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
 return __init__


def _shape_29(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _dflt__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3):
 def __init__(self,_f0:_type__f0=_dflt__f0,_f1:_type__f1=_dflt__f1,_f2:_type__f2=_dflt__f2,_f3:_type__f3=_dflt__f3):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
 return __init__


def _shape_30(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _dflt__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3, _type__f4, _dflt__f4):
 def __init__(self,_f0:_type__f0=_dflt__f0,_f1:_type__f1=_dflt__f1,_f2:_type__f2=_dflt__f2,_f3:_type__f3=_dflt__f3,_f4:_type__f4=_dflt__f4):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
  __dataclass_builtins_object__.__setattr__(self,'_f4',_f4)
 return __init__


def _shape_31(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _dflt__f0, _type__f1, _dflt__f1):
 def __init__(self,_f0:_type__f0=_HAS_DEFAULT_FACTORY,_f1:_type__f1=_HAS_DEFAULT_FACTORY):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_dflt__f0() if _f0 is _HAS_DEFAULT_FACTORY else _f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_dflt__f1() if _f1 is _HAS_DEFAULT_FACTORY else _f1)
 return __init__


def _shape_32(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _dflt__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2):
 def __init__(self,_f0:_type__f0=_HAS_DEFAULT_FACTORY,_f1:_type__f1=_HAS_DEFAULT_FACTORY,_f2:_type__f2=_HAS_DEFAULT_FACTORY):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_dflt__f0() if _f0 is _HAS_DEFAULT_FACTORY else _f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_dflt__f1() if _f1 is _HAS_DEFAULT_FACTORY else _f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_dflt__f2() if _f2 is _HAS_DEFAULT_FACTORY else _f2)
 return __init__


def _shape_33(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
 return __init__


def _shape_34(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
 return __init__


def _shape_35(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
 return __init__


def _shape_36(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
  __dataclass_builtins_object__.__setattr__(self,'_f4',_f4)
 return __init__


def _shape_37(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
  __dataclass_builtins_object__.__setattr__(self,'_f4',_f4)
  __dataclass_builtins_object__.__setattr__(self,'_f5',_f5)
 return __init__


def _shape_38(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _type__f6):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5,_f6:_type__f6):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
  __dataclass_builtins_object__.__setattr__(self,'_f4',_f4)
  __dataclass_builtins_object__.__setattr__(self,'_f5',_f5)
  __dataclass_builtins_object__.__setattr__(self,'_f6',_f6)
 return __init__


def _shape_39(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _type__f6, _type__f7, _type__f8, _type__f9, _type__f10, _type__f11, _type__f12, _type__f13, _type__f14, _type__f15, _type__f16, _type__f17, _dflt__f17, _type__f18, _dflt__f18, _type__f19, _dflt__f19, _type__f20, _dflt__f20, _type__f21, _dflt__f21, _type__f22, _dflt__f22):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5,_f6:_type__f6,_f7:_type__f7,_f8:_type__f8,_f9:_type__f9,_f10:_type__f10,_f11:_type__f11,_f12:_type__f12,_f13:_type__f13,_f14:_type__f14,_f15:_type__f15,_f16:_type__f16,_f17:_type__f17=_dflt__f17,_f18:_type__f18=_dflt__f18,_f19:_type__f19=_dflt__f19,_f20:_type__f20=_dflt__f20,_f21:_type__f21=_dflt__f21,_f22:_type__f22=_dflt__f22):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
  __dataclass_builtins_object__.__setattr__(self,'_f4',_f4)
  __dataclass_builtins_object__.__setattr__(self,'_f5',_f5)
  __dataclass_builtins_object__.__setattr__(self,'_f6',_f6)
  __dataclass_builtins_object__.__setattr__(self,'_f7',_f7)
  __dataclass_builtins_object__.__setattr__(self,'_f8',_f8)
  __dataclass_builtins_object__.__setattr__(self,'_f9',_f9)
  __dataclass_builtins_object__.__setattr__(self,'_f10',_f10)
  __dataclass_builtins_object__.__setattr__(self,'_f11',_f11)
  __dataclass_builtins_object__.__setattr__(self,'_f12',_f12)
  __dataclass_builtins_object__.__setattr__(self,'_f13',_f13)
  __dataclass_builtins_object__.__setattr__(self,'_f14',_f14)
  __dataclass_builtins_object__.__setattr__(self,'_f15',_f15)
  __dataclass_builtins_object__.__setattr__(self,'_f16',_f16)
  __dataclass_builtins_object__.__setattr__(self,'_f17',_f17)
  __dataclass_builtins_object__.__setattr__(self,'_f18',_f18)
  __dataclass_builtins_object__.__setattr__(self,'_f19',_f19)
  __dataclass_builtins_object__.__setattr__(self,'_f20',_f20)
  __dataclass_builtins_object__.__setattr__(self,'_f21',_f21)
  __dataclass_builtins_object__.__setattr__(self,'_f22',_f22)
 return __init__


def _shape_40(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _type__f6, _type__f7, _type__f8, _type__f9, _type__f10, _type__f11, _type__f12, _type__f13, _type__f14, _type__f15, _dflt__f15, _type__f16, _dflt__f16, _type__f17, _dflt__f17, _type__f18, _dflt__f18, _type__f19, _dflt__f19):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5,_f6:_type__f6,_f7:_type__f7,_f8:_type__f8,_f9:_type__f9,_f10:_type__f10,_f11:_type__f11,_f12:_type__f12,_f13:_type__f13,_f14:_type__f14,_f15:_type__f15=_dflt__f15,_f16:_type__f16=_dflt__f16,_f17:_type__f17=_dflt__f17,_f18:_type__f18=_dflt__f18,_f19:_type__f19=_dflt__f19):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
  __dataclass_builtins_object__.__setattr__(self,'_f4',_f4)
  __dataclass_builtins_object__.__setattr__(self,'_f5',_f5)
  __dataclass_builtins_object__.__setattr__(self,'_f6',_f6)
  __dataclass_builtins_object__.__setattr__(self,'_f7',_f7)
  __dataclass_builtins_object__.__setattr__(self,'_f8',_f8)
  __dataclass_builtins_object__.__setattr__(self,'_f9',_f9)
  __dataclass_builtins_object__.__setattr__(self,'_f10',_f10)
  __dataclass_builtins_object__.__setattr__(self,'_f11',_f11)
  __dataclass_builtins_object__.__setattr__(self,'_f12',_f12)
  __dataclass_builtins_object__.__setattr__(self,'_f13',_f13)
  __dataclass_builtins_object__.__setattr__(self,'_f14',_f14)
  __dataclass_builtins_object__.__setattr__(self,'_f15',_f15)
  __dataclass_builtins_object__.__setattr__(self,'_f16',_f16)
  __dataclass_builtins_object__.__setattr__(self,'_f17',_f17)
  __dataclass_builtins_object__.__setattr__(self,'_f18',_f18)
  __dataclass_builtins_object__.__setattr__(self,'_f19',_f19)
 return __init__


def _shape_41(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _type__f6, _type__f7, _type__f8, _type__f9, _type__f10, _type__f11, _type__f12, _dflt__f12):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5,_f6:_type__f6,_f7:_type__f7,_f8:_type__f8,_f9:_type__f9,_f10:_type__f10,_f11:_type__f11,_f12:_type__f12=_dflt__f12):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
  __dataclass_builtins_object__.__setattr__(self,'_f4',_f4)
  __dataclass_builtins_object__.__setattr__(self,'_f5',_f5)
  __dataclass_builtins_object__.__setattr__(self,'_f6',_f6)
  __dataclass_builtins_object__.__setattr__(self,'_f7',_f7)
  __dataclass_builtins_object__.__setattr__(self,'_f8',_f8)
  __dataclass_builtins_object__.__setattr__(self,'_f9',_f9)
  __dataclass_builtins_object__.__setattr__(self,'_f10',_f10)
  __dataclass_builtins_object__.__setattr__(self,'_f11',_f11)
  __dataclass_builtins_object__.__setattr__(self,'_f12',_f12)
 return __init__


def _shape_42(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _type__f6, _type__f7, _type__f8, _type__f9, _type__f10, _dflt__f10):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5,_f6:_type__f6,_f7:_type__f7,_f8:_type__f8,_f9:_type__f9,_f10:_type__f10=_dflt__f10):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
  __dataclass_builtins_object__.__setattr__(self,'_f4',_f4)
  __dataclass_builtins_object__.__setattr__(self,'_f5',_f5)
  __dataclass_builtins_object__.__setattr__(self,'_f6',_f6)
  __dataclass_builtins_object__.__setattr__(self,'_f7',_f7)
  __dataclass_builtins_object__.__setattr__(self,'_f8',_f8)
  __dataclass_builtins_object__.__setattr__(self,'_f9',_f9)
  __dataclass_builtins_object__.__setattr__(self,'_f10',_f10)
 return __init__


def _shape_43(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _type__f6, _type__f7, _type__f8, _type__f9, _type__f10, _dflt__f10, _type__f11, _dflt__f11):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5,_f6:_type__f6,_f7:_type__f7,_f8:_type__f8,_f9:_type__f9,_f10:_type__f10=_dflt__f10,_f11:_type__f11=_dflt__f11):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
  __dataclass_builtins_object__.__setattr__(self,'_f4',_f4)
  __dataclass_builtins_object__.__setattr__(self,'_f5',_f5)
  __dataclass_builtins_object__.__setattr__(self,'_f6',_f6)
  __dataclass_builtins_object__.__setattr__(self,'_f7',_f7)
  __dataclass_builtins_object__.__setattr__(self,'_f8',_f8)
  __dataclass_builtins_object__.__setattr__(self,'_f9',_f9)
  __dataclass_builtins_object__.__setattr__(self,'_f10',_f10)
  __dataclass_builtins_object__.__setattr__(self,'_f11',_f11)
 return __init__


def _shape_44(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _type__f6, _type__f7, _type__f8, _type__f9, _dflt__f9, _type__f10, _dflt__f10):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5,_f6:_type__f6,_f7:_type__f7,_f8:_type__f8,_f9:_type__f9=_dflt__f9,_f10:_type__f10=_dflt__f10):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
  __dataclass_builtins_object__.__setattr__(self,'_f4',_f4)
  __dataclass_builtins_object__.__setattr__(self,'_f5',_f5)
  __dataclass_builtins_object__.__setattr__(self,'_f6',_f6)
  __dataclass_builtins_object__.__setattr__(self,'_f7',_f7)
  __dataclass_builtins_object__.__setattr__(self,'_f8',_f8)
  __dataclass_builtins_object__.__setattr__(self,'_f9',_f9)
  __dataclass_builtins_object__.__setattr__(self,'_f10',_f10)
 return __init__


def _shape_45(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _type__f6, _type__f7, _type__f8, _type__f9, _dflt__f9, _type__f10, _dflt__f10, _type__f11, _dflt__f11, _type__f12, _dflt__f12, _type__f13, _dflt__f13):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5,_f6:_type__f6,_f7:_type__f7,_f8:_type__f8,_f9:_type__f9=_dflt__f9,_f10:_type__f10=_dflt__f10,_f11:_type__f11=_dflt__f11,_f12:_type__f12=_dflt__f12,_f13:_type__f13=_dflt__f13):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
  __dataclass_builtins_object__.__setattr__(self,'_f4',_f4)
  __dataclass_builtins_object__.__setattr__(self,'_f5',_f5)
  __dataclass_builtins_object__.__setattr__(self,'_f6',_f6)
  __dataclass_builtins_object__.__setattr__(self,'_f7',_f7)
  __dataclass_builtins_object__.__setattr__(self,'_f8',_f8)
  __dataclass_builtins_object__.__setattr__(self,'_f9',_f9)
  __dataclass_builtins_object__.__setattr__(self,'_f10',_f10)
  __dataclass_builtins_object__.__setattr__(self,'_f11',_f11)
  __dataclass_builtins_object__.__setattr__(self,'_f12',_f12)
  __dataclass_builtins_object__.__setattr__(self,'_f13',_f13)
 return __init__


def _shape_46(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _type__f6, _type__f7, _type__f8, _dflt__f8):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5,_f6:_type__f6,_f7:_type__f7,_f8:_type__f8=_dflt__f8):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
  __dataclass_builtins_object__.__setattr__(self,'_f4',_f4)
  __dataclass_builtins_object__.__setattr__(self,'_f5',_f5)
  __dataclass_builtins_object__.__setattr__(self,'_f6',_f6)
  __dataclass_builtins_object__.__setattr__(self,'_f7',_f7)
  __dataclass_builtins_object__.__setattr__(self,'_f8',_f8)
 return __init__


def _shape_47(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _type__f6, _type__f7, _dflt__f7, _type__f8, _dflt__f8, _type__f9, _dflt__f9, _type__f10, _dflt__f10, _type__f11, _dflt__f11, _type__f12, _dflt__f12, _type__f13, _dflt__f13, _type__f14, _dflt__f14, _type__f15, _dflt__f15, _type__f16, _dflt__f16, _type__f17, _dflt__f17, _type__f18, _dflt__f18, _type__f19, _dflt__f19, _type__f20, _dflt__f20):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5,_f6:_type__f6,_f7:_type__f7=_dflt__f7,_f8:_type__f8=_dflt__f8,_f9:_type__f9=_HAS_DEFAULT_FACTORY,_f10:_type__f10=_dflt__f10,_f11:_type__f11=_dflt__f11,_f12:_type__f12=_dflt__f12,_f13:_type__f13=_dflt__f13,_f14:_type__f14=_HAS_DEFAULT_FACTORY,_f15:_type__f15=_HAS_DEFAULT_FACTORY,_f16:_type__f16=_dflt__f16,_f17:_type__f17=_dflt__f17,_f18:_type__f18=_dflt__f18,_f19:_type__f19=_dflt__f19,_f20:_type__f20=_dflt__f20):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
  __dataclass_builtins_object__.__setattr__(self,'_f4',_f4)
  __dataclass_builtins_object__.__setattr__(self,'_f5',_f5)
  __dataclass_builtins_object__.__setattr__(self,'_f6',_f6)
  __dataclass_builtins_object__.__setattr__(self,'_f7',_f7)
  __dataclass_builtins_object__.__setattr__(self,'_f8',_f8)
  __dataclass_builtins_object__.__setattr__(self,'_f9',_dflt__f9() if _f9 is _HAS_DEFAULT_FACTORY else _f9)
  __dataclass_builtins_object__.__setattr__(self,'_f10',_f10)
  __dataclass_builtins_object__.__setattr__(self,'_f11',_f11)
  __dataclass_builtins_object__.__setattr__(self,'_f12',_f12)
  __dataclass_builtins_object__.__setattr__(self,'_f13',_f13)
  __dataclass_builtins_object__.__setattr__(self,'_f14',_dflt__f14() if _f14 is _HAS_DEFAULT_FACTORY else _f14)
  __dataclass_builtins_object__.__setattr__(self,'_f15',_dflt__f15() if _f15 is _HAS_DEFAULT_FACTORY else _f15)
  __dataclass_builtins_object__.__setattr__(self,'_f16',_f16)
  __dataclass_builtins_object__.__setattr__(self,'_f17',_f17)
  __dataclass_builtins_object__.__setattr__(self,'_f18',_f18)
  __dataclass_builtins_object__.__setattr__(self,'_f19',_f19)
  __dataclass_builtins_object__.__setattr__(self,'_f20',_f20)
 return __init__


def _shape_48(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _type__f6, _dflt__f6):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5,_f6:_type__f6=_dflt__f6):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
  __dataclass_builtins_object__.__setattr__(self,'_f4',_f4)
  __dataclass_builtins_object__.__setattr__(self,'_f5',_f5)
  __dataclass_builtins_object__.__setattr__(self,'_f6',_f6)
 return __init__


def _shape_49(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _type__f6, _dflt__f6, _type__f7, _dflt__f7):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5,_f6:_type__f6=_dflt__f6,_f7:_type__f7=_dflt__f7):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
  __dataclass_builtins_object__.__setattr__(self,'_f4',_f4)
  __dataclass_builtins_object__.__setattr__(self,'_f5',_f5)
  __dataclass_builtins_object__.__setattr__(self,'_f6',_f6)
  __dataclass_builtins_object__.__setattr__(self,'_f7',_f7)
 return __init__


def _shape_50(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _dflt__f5):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5=_dflt__f5):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
  __dataclass_builtins_object__.__setattr__(self,'_f4',_f4)
  __dataclass_builtins_object__.__setattr__(self,'_f5',_f5)
 return __init__


def _shape_51(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _type__f5, _dflt__f5, _type__f6, _dflt__f6, _type__f7, _dflt__f7):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4,_f5:_type__f5=_dflt__f5,_f6:_type__f6=_dflt__f6,_f7:_type__f7=_dflt__f7):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
  __dataclass_builtins_object__.__setattr__(self,'_f4',_f4)
  __dataclass_builtins_object__.__setattr__(self,'_f5',_f5)
  __dataclass_builtins_object__.__setattr__(self,'_f6',_f6)
  __dataclass_builtins_object__.__setattr__(self,'_f7',_f7)
 return __init__


def _shape_52(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _dflt__f4):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4=_dflt__f4):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
  __dataclass_builtins_object__.__setattr__(self,'_f4',_f4)
 return __init__


def _shape_53(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _type__f4, _dflt__f4, _type__f5, _dflt__f5, _type__f6, _dflt__f6):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3,_f4:_type__f4=_dflt__f4,_f5:_type__f5=_HAS_DEFAULT_FACTORY,_f6:_type__f6=_dflt__f6):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
  __dataclass_builtins_object__.__setattr__(self,'_f4',_f4)
  __dataclass_builtins_object__.__setattr__(self,'_f5',_dflt__f5() if _f5 is _HAS_DEFAULT_FACTORY else _f5)
  __dataclass_builtins_object__.__setattr__(self,'_f6',_f6)
 return __init__


def _shape_54(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _dflt__f3):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3=_dflt__f3):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
 return __init__


def _shape_55(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _type__f3, _dflt__f3, _type__f4, _dflt__f4):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2,_f3:_type__f3=_dflt__f3,_f4:_type__f4=_dflt__f4):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
  __dataclass_builtins_object__.__setattr__(self,'_f4',_f4)
 return __init__


def _shape_56(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _dflt__f2):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2=_dflt__f2):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
 return __init__


def _shape_57(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3, _type__f4, _dflt__f4, _type__f5, _dflt__f5, _type__f6, _dflt__f6):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2=_dflt__f2,_f3:_type__f3=_HAS_DEFAULT_FACTORY,_f4:_type__f4=_dflt__f4,_f5:_type__f5=_dflt__f5,_f6:_type__f6=_dflt__f6):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_dflt__f3() if _f3 is _HAS_DEFAULT_FACTORY else _f3)
  __dataclass_builtins_object__.__setattr__(self,'_f4',_f4)
  __dataclass_builtins_object__.__setattr__(self,'_f5',_f5)
  __dataclass_builtins_object__.__setattr__(self,'_f6',_f6)
 return __init__


def _shape_58(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _dflt__f2):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2=_HAS_DEFAULT_FACTORY):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_dflt__f2() if _f2 is _HAS_DEFAULT_FACTORY else _f2)
 return __init__


def _shape_59(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _type__f2, _dflt__f2, _type__f3, _type__f4, _dflt__f4):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1,_f2:_type__f2=_HAS_DEFAULT_FACTORY,_f3:_type__f3,_f4:_type__f4=_dflt__f4):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_dflt__f2() if _f2 is _HAS_DEFAULT_FACTORY else _f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
  __dataclass_builtins_object__.__setattr__(self,'_f4',_f4)
 return __init__


def _shape_60(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1=_dflt__f1,_f2:_type__f2=_dflt__f2):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
 return __init__


def _shape_61(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2, _type__f3):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1=_dflt__f1,_f2:_type__f2=_dflt__f2,_f3:_type__f3):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
 return __init__


def _shape_62(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1=_dflt__f1,_f2:_type__f2=_dflt__f2,_f3:_type__f3=_dflt__f3):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
 return __init__


def _shape_63(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3, _type__f4, _dflt__f4, _type__f5, _dflt__f5, _type__f6, _dflt__f6, _type__f7, _dflt__f7, _type__f8, _dflt__f8):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1=_dflt__f1,_f2:_type__f2=_dflt__f2,_f3:_type__f3=_dflt__f3,_f4:_type__f4=_dflt__f4,_f5:_type__f5=_dflt__f5,_f6:_type__f6=_dflt__f6,_f7:_type__f7=_dflt__f7,_f8:_type__f8=_dflt__f8):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
  __dataclass_builtins_object__.__setattr__(self,'_f4',_f4)
  __dataclass_builtins_object__.__setattr__(self,'_f5',_f5)
  __dataclass_builtins_object__.__setattr__(self,'_f6',_f6)
  __dataclass_builtins_object__.__setattr__(self,'_f7',_f7)
  __dataclass_builtins_object__.__setattr__(self,'_f8',_f8)
 return __init__


def _shape_64(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3, _type__f4, _dflt__f4, _type__f5, _dflt__f5, _type__f6, _dflt__f6, _type__f7, _dflt__f7, _type__f8, _dflt__f8, _type__f9):
 def __init__(self,*,_f0:_type__f0,_f1:_type__f1=_dflt__f1,_f2:_type__f2=_dflt__f2,_f3:_type__f3=_HAS_DEFAULT_FACTORY,_f4:_type__f4=_dflt__f4,_f5:_type__f5=_dflt__f5,_f6:_type__f6=_dflt__f6,_f7:_type__f7=_dflt__f7,_f8:_type__f8=_dflt__f8,_f9:_type__f9):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_dflt__f3() if _f3 is _HAS_DEFAULT_FACTORY else _f3)
  __dataclass_builtins_object__.__setattr__(self,'_f4',_f4)
  __dataclass_builtins_object__.__setattr__(self,'_f5',_f5)
  __dataclass_builtins_object__.__setattr__(self,'_f6',_f6)
  __dataclass_builtins_object__.__setattr__(self,'_f7',_f7)
  __dataclass_builtins_object__.__setattr__(self,'_f8',_f8)
  __dataclass_builtins_object__.__setattr__(self,'_f9',_f9)
 return __init__


def _shape_65(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0):
 def __init__(self,*,_f0:_type__f0):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
 return __init__


def _shape_66(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _dflt__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3):
 def __init__(self,*,_f0:_type__f0=_dflt__f0,_f1:_type__f1=_dflt__f1,_f2:_type__f2=_dflt__f2,_f3:_type__f3=_dflt__f3):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
 return __init__


def _shape_67(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _dflt__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3, _type__f4, _dflt__f4):
 def __init__(self,*,_f0:_type__f0=_dflt__f0,_f1:_type__f1=_dflt__f1,_f2:_type__f2=_dflt__f2,_f3:_type__f3=_dflt__f3,_f4:_type__f4=_dflt__f4):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
  __dataclass_builtins_object__.__setattr__(self,'_f4',_f4)
 return __init__


def _shape_68(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _dflt__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3, _type__f4, _dflt__f4, _type__f5, _dflt__f5, _type__f6, _dflt__f6):
 def __init__(self,*,_f0:_type__f0=_dflt__f0,_f1:_type__f1=_dflt__f1,_f2:_type__f2=_dflt__f2,_f3:_type__f3=_dflt__f3,_f4:_type__f4=_dflt__f4,_f5:_type__f5=_dflt__f5,_f6:_type__f6=_dflt__f6):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
  __dataclass_builtins_object__.__setattr__(self,'_f4',_f4)
  __dataclass_builtins_object__.__setattr__(self,'_f5',_f5)
  __dataclass_builtins_object__.__setattr__(self,'_f6',_f6)
 return __init__


def _shape_69(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _dflt__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3, _type__f4, _dflt__f4, _type__f5, _dflt__f5, _type__f6, _dflt__f6, _type__f7, _dflt__f7, _type__f8, _dflt__f8):
 def __init__(self,*,_f0:_type__f0=_dflt__f0,_f1:_type__f1=_dflt__f1,_f2:_type__f2=_dflt__f2,_f3:_type__f3=_dflt__f3,_f4:_type__f4=_dflt__f4,_f5:_type__f5=_dflt__f5,_f6:_type__f6=_dflt__f6,_f7:_type__f7=_dflt__f7,_f8:_type__f8=_dflt__f8):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
  __dataclass_builtins_object__.__setattr__(self,'_f4',_f4)
  __dataclass_builtins_object__.__setattr__(self,'_f5',_f5)
  __dataclass_builtins_object__.__setattr__(self,'_f6',_f6)
  __dataclass_builtins_object__.__setattr__(self,'_f7',_f7)
  __dataclass_builtins_object__.__setattr__(self,'_f8',_f8)
 return __init__


def _shape_70(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _dflt__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3, _type__f4, _dflt__f4, _type__f5, _dflt__f5, _type__f6, _dflt__f6, _type__f7, _dflt__f7, _type__f8, _dflt__f8):
 def __init__(self,*,_f0:_type__f0=_dflt__f0,_f1:_type__f1=_dflt__f1,_f2:_type__f2=_dflt__f2,_f3:_type__f3=_dflt__f3,_f4:_type__f4=_dflt__f4,_f5:_type__f5=_dflt__f5,_f6:_type__f6=_dflt__f6,_f7:_type__f7=_HAS_DEFAULT_FACTORY,_f8:_type__f8=_HAS_DEFAULT_FACTORY):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
  __dataclass_builtins_object__.__setattr__(self,'_f4',_f4)
  __dataclass_builtins_object__.__setattr__(self,'_f5',_f5)
  __dataclass_builtins_object__.__setattr__(self,'_f6',_f6)
  __dataclass_builtins_object__.__setattr__(self,'_f7',_dflt__f7() if _f7 is _HAS_DEFAULT_FACTORY else _f7)
  __dataclass_builtins_object__.__setattr__(self,'_f8',_dflt__f8() if _f8 is _HAS_DEFAULT_FACTORY else _f8)
 return __init__


def _shape_71(MISSING, _HAS_DEFAULT_FACTORY, __dataclass_builtins_object__, _type__f0, _dflt__f0, _type__f1, _dflt__f1, _type__f2, _dflt__f2, _type__f3, _dflt__f3, _type__f4, _dflt__f4, _type__f5, _dflt__f5):
 def __init__(self,*,_f0:_type__f0=_dflt__f0,_f1:_type__f1=_dflt__f1,_f2:_type__f2=_dflt__f2,_f3:_type__f3=_dflt__f3,_f4:_type__f4=_dflt__f4,_f5:_type__f5=_HAS_DEFAULT_FACTORY):
  __dataclass_builtins_object__.__setattr__(self,'_f0',_f0)
  __dataclass_builtins_object__.__setattr__(self,'_f1',_f1)
  __dataclass_builtins_object__.__setattr__(self,'_f2',_f2)
  __dataclass_builtins_object__.__setattr__(self,'_f3',_f3)
  __dataclass_builtins_object__.__setattr__(self,'_f4',_f4)
  __dataclass_builtins_object__.__setattr__(self,'_f5',_dflt__f5() if _f5 is _HAS_DEFAULT_FACTORY else _f5)
 return __init__


SHAPES = {
    (False, 'self', ((False, ''), (False, ''), (False, ''))): _shape_0,
    (False, 'self', ((False, ''), (False, ''), (False, ''), (False, ''), (False, ''), (False, ''))): _shape_1,
    (False, 'self', ((False, ''), (False, ''), (False, ''), (False, ''), (False, ''), (False, ''), (False, ''), (False, ''))): _shape_2,
    (False, 'self', ((False, ''), (False, ''), (False, ''), (False, ''), (False, 'default'), (False, 'default'), (False, 'default'))): _shape_3,
    (False, 'self', ((False, ''), (False, ''), (False, ''), (False, ''), (False, 'factory'), (False, 'factory'), (False, 'factory'), (False, 'factory'), (False, 'factory'))): _shape_4,
    (False, 'self', ((False, ''), (False, ''), (False, ''), (False, 'factory'), (False, 'default'))): _shape_5,
    (False, 'self', ((False, ''), (False, ''), (False, 'default'), (False, 'factory'), (False, 'default'))): _shape_6,
    (False, 'self', ((False, ''), (False, ''), (False, 'factory'), (False, 'factory'), (False, 'default'), (False, 'factory'), (False, 'default'), (False, 'factory'))): _shape_7,
    (False, 'self', ((False, 'default'), (False, 'default'), (False, 'factory'), (False, 'default'), (False, 'factory'), (False, 'default'), (False, 'default'), (False, 'factory'))): _shape_8,
    (False, 'self', ((False, 'factory'), (False, 'factory'), (False, 'default'), (False, 'default'))): _shape_9,
    (False, 'self', ((True, ''), (True, ''))): _shape_10,
    (False, 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''))): _shape_11,
    (False, 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, 'default'), (True, 'factory'), (True, 'default'))): _shape_12,
    (False, 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, 'factory'))): _shape_13,
    (False, 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'factory'))): _shape_14,
    (True, 'self', ((False, ''), (False, ''))): _shape_15,
    (True, 'self', ((False, ''), (False, ''), (False, ''))): _shape_16,
    (True, 'self', ((False, ''), (False, ''), (False, ''), (False, ''))): _shape_17,
    (True, 'self', ((False, ''), (False, ''), (False, ''), (False, ''), (False, ''))): _shape_18,
    (True, 'self', ((False, ''), (False, ''), (False, ''), (False, ''), (False, ''), (False, ''))): _shape_19,
    (True, 'self', ((False, ''), (False, ''), (False, ''), (False, ''), (False, 'default'), (False, 'default'))): _shape_20,
    (True, 'self', ((False, ''), (False, ''), (False, ''), (False, 'default'))): _shape_21,
    (True, 'self', ((False, ''), (False, ''), (False, 'default'), (False, 'default'))): _shape_22,
    (True, 'self', ((False, ''), (False, ''), (False, 'default'), (False, 'default'), (False, 'default'))): _shape_23,
    (True, 'self', ((False, ''), (False, 'default'))): _shape_24,
    (True, 'self', ((False, ''), (False, 'default'), (False, 'default'), (False, 'default'), (False, 'default'), (False, 'default'))): _shape_25,
    (True, 'self', ((False, ''), (False, 'default'), (False, 'default'), (False, 'default'), (False, 'default'), (False, 'default'), (False, 'default'), (False, 'default'))): _shape_26,
    (True, 'self', ((False, ''),)): _shape_27,
    (True, 'self', ((False, 'default'), (False, 'default'), (False, 'default'))): _shape_28,
    (True, 'self', ((False, 'default'), (False, 'default'), (False, 'default'), (False, 'default'))): _shape_29,
    (True, 'self', ((False, 'default'), (False, 'default'), (False, 'default'), (False, 'default'), (False, 'default'))): _shape_30,
    (True, 'self', ((False, 'factory'), (False, 'factory'))): _shape_31,
    (True, 'self', ((False, 'factory'), (False, 'factory'), (False, 'factory'))): _shape_32,
    (True, 'self', ((True, ''), (True, ''))): _shape_33,
    (True, 'self', ((True, ''), (True, ''), (True, ''))): _shape_34,
    (True, 'self', ((True, ''), (True, ''), (True, ''), (True, ''))): _shape_35,
    (True, 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''))): _shape_36,
    (True, 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''))): _shape_37,
    (True, 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''))): _shape_38,
    (True, 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'))): _shape_39,
    (True, 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'))): _shape_40,
    (True, 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, 'default'))): _shape_41,
    (True, 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, 'default'))): _shape_42,
    (True, 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, 'default'), (True, 'default'))): _shape_43,
    (True, 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, 'default'), (True, 'default'))): _shape_44,
    (True, 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'))): _shape_45,
    (True, 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, 'default'))): _shape_46,
    (True, 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, 'default'), (True, 'default'), (True, 'factory'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'factory'), (True, 'factory'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'))): _shape_47,
    (True, 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, 'default'))): _shape_48,
    (True, 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, 'default'), (True, 'default'))): _shape_49,
    (True, 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, 'default'))): _shape_50,
    (True, 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, ''), (True, 'default'), (True, 'default'), (True, 'default'))): _shape_51,
    (True, 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, 'default'))): _shape_52,
    (True, 'self', ((True, ''), (True, ''), (True, ''), (True, ''), (True, 'default'), (True, 'factory'), (True, 'default'))): _shape_53,
    (True, 'self', ((True, ''), (True, ''), (True, ''), (True, 'default'))): _shape_54,
    (True, 'self', ((True, ''), (True, ''), (True, ''), (True, 'default'), (True, 'default'))): _shape_55,
    (True, 'self', ((True, ''), (True, ''), (True, 'default'))): _shape_56,
    (True, 'self', ((True, ''), (True, ''), (True, 'default'), (True, 'factory'), (True, 'default'), (True, 'default'), (True, 'default'))): _shape_57,
    (True, 'self', ((True, ''), (True, ''), (True, 'factory'))): _shape_58,
    (True, 'self', ((True, ''), (True, ''), (True, 'factory'), (True, ''), (True, 'default'))): _shape_59,
    (True, 'self', ((True, ''), (True, 'default'), (True, 'default'))): _shape_60,
    (True, 'self', ((True, ''), (True, 'default'), (True, 'default'), (True, ''))): _shape_61,
    (True, 'self', ((True, ''), (True, 'default'), (True, 'default'), (True, 'default'))): _shape_62,
    (True, 'self', ((True, ''), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'))): _shape_63,
    (True, 'self', ((True, ''), (True, 'default'), (True, 'default'), (True, 'factory'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, ''))): _shape_64,
    (True, 'self', ((True, ''),)): _shape_65,
    (True, 'self', ((True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'))): _shape_66,
    (True, 'self', ((True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'))): _shape_67,
    (True, 'self', ((True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'))): _shape_68,
    (True, 'self', ((True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'))): _shape_69,
    (True, 'self', ((True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'factory'), (True, 'factory'))): _shape_70,
    (True, 'self', ((True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'default'), (True, 'factory'))): _shape_71,
}
