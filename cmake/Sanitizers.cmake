if(EDGEVISOR_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)

  # ASan cannot be linked -static ("cannot specify -static with -fsanitize=address"). Programs
  # that link statically (tests/support/checker: it runs inside an empty test rootfs) are
  # helpers run as workloads, not code under test: build them unsanitized. Done once every
  # directory has been read, so no target needs to know about it.
  function(edgevisor_unsanitize_static_targets dir)
    get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
    foreach(target IN LISTS targets)
      get_target_property(link_options ${target} LINK_OPTIONS)
      if(link_options AND "-static" IN_LIST link_options)
        target_compile_options(${target} PRIVATE -fno-sanitize=all)
        target_link_options(${target} PRIVATE -fno-sanitize=all)
      endif()
    endforeach()
    get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
    foreach(subdir IN LISTS subdirs)
      edgevisor_unsanitize_static_targets(${subdir})
    endforeach()
  endfunction()
  cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR}
                 CALL edgevisor_unsanitize_static_targets ${CMAKE_SOURCE_DIR})
endif()
