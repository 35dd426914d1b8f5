# The layers of models/, lowest first (docs/build.md, "Layers"). A layer may
# include and link only itself and the layers before it. Read by
# models/CMakeLists.txt (one static library per layer) and by
# cmake/check_layers.cmake (the include check).
set(IOMMUSIM_LAYERS common vtd mem trace iommu pcie host platform)

# Known violations, each "<file under models/>|<from>-><to>|<why it is still
# there>" (no semicolons: CMake would split the entry). The check reports them
# without failing, and warns once an entry matches no include any more (then
# delete it). models/CMakeLists.txt also lets <from> link <to> for each entry,
# so that the tree links meanwhile. Keep this list short and temporary.
set(IOMMUSIM_LAYER_ALLOW)
