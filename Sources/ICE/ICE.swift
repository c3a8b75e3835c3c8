// ICE module
