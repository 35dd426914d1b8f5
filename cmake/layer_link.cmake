# The link half of the layer rule (docs/build.md, "The link check"):
# iommusim_layer_link_check(<name> <library>) adds an executable <name> that
# links every object of <library> (a whole archive, so no object is left out
# for being unreferenced) with nothing but <library>'s own link dependencies,
# the layers below it. A call from a lower layer into a higher one then
# leaves an undefined symbol and the build fails at this link, naming it.
# The executable is never run; its main file only satisfies the linker
# (SystemC's main() calls sc_main()).
function(iommusim_layer_link_check name library main_source)
  add_executable(${name} ${main_source})
  target_link_libraries(${name} PRIVATE "$<LINK_LIBRARY:WHOLE_ARCHIVE,${library}>")
endfunction()
