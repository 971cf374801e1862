console.log('lowp: CLI not built yet');
