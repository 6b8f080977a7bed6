# OpenCV for the builder library (calibration images), the examples and the tests: the imported
# target edgert_opencv (core, imgproc, imgcodecs) and EDGERT_HAVE_OPENCV. The runtime library never
# links it (it ships to the device).
#
# Debian splits OpenCV per module and ships the CMake package (OpenCVConfig.cmake) only with the
# full libopencv-dev, so the package is tried first and the three modules are found directly
# otherwise.
if(TARGET edgert_opencv)
  return()
endif()

set(EDGERT_HAVE_OPENCV OFF)
find_package(OpenCV QUIET COMPONENTS core imgproc imgcodecs)
if(OpenCV_FOUND)
  add_library(edgert_opencv INTERFACE IMPORTED GLOBAL)
  target_link_libraries(edgert_opencv INTERFACE ${OpenCV_LIBS})
  target_include_directories(edgert_opencv SYSTEM INTERFACE ${OpenCV_INCLUDE_DIRS})
  set(EDGERT_HAVE_OPENCV ON)
else()
  find_path(EDGERT_OPENCV_INCLUDE opencv2/core.hpp PATH_SUFFIXES opencv4)
  set(_edgert_opencv_libs "")
  set(_edgert_opencv_ok ON)
  if(NOT EDGERT_OPENCV_INCLUDE)
    set(_edgert_opencv_ok OFF)
  endif()
  foreach(m core imgproc imgcodecs)
    find_library(EDGERT_OPENCV_${m} opencv_${m})
    if(EDGERT_OPENCV_${m})
      list(APPEND _edgert_opencv_libs ${EDGERT_OPENCV_${m}})
    else()
      set(_edgert_opencv_ok OFF)
    endif()
  endforeach()
  if(_edgert_opencv_ok)
    add_library(edgert_opencv INTERFACE IMPORTED GLOBAL)
    target_link_libraries(edgert_opencv INTERFACE ${_edgert_opencv_libs})
    target_include_directories(edgert_opencv SYSTEM INTERFACE ${EDGERT_OPENCV_INCLUDE})
    set(EDGERT_HAVE_OPENCV ON)
  endif()
endif()

if(EDGERT_HAVE_OPENCV)
  message(STATUS "OpenCV (core, imgproc, imgcodecs) found")
else()
  message(STATUS "OpenCV (core, imgproc, imgcodecs) not found: needed by the builder and tests")
endif()
